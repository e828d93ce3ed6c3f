import type { AlerterKeys } from '@ringtail/model';
import type { AlertRecord } from '@ringtail/model';
import type { GroupState, Notification } from './domain/notification-plan.ts';
import { LeaseLostError, RedisUnavailableError, ScriptReplyError } from './errors.ts';
import { ALREADY_APPLIED, FENCED, type ScriptClient } from './scripts.ts';

/** What one evaluation tick changes, written in one script. */
export interface TickChanges {
  readonly alerts: ReadonlyMap<string, AlertRecord | null>;
  readonly groups: ReadonlyMap<string, GroupState | null>;
  readonly notifications: readonly Notification[];
}

/** Alert and group state in Redis: loaded when an instance becomes leader, changed atomically per tick. */
export class AlertStore {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: AlerterKeys,
    private readonly outboxMaxLen: number,
  ) {}

  async loadAlerts(): Promise<Map<string, AlertRecord>> {
    const raw = await this.call('HGETALL alerts', () => this.redis.hgetall(this.keys.alerts));
    return new Map(Object.entries(raw).map(([id, json]) => [id, JSON.parse(json) as AlertRecord]));
  }

  async loadGroups(): Promise<Map<string, GroupState>> {
    const raw = await this.call('HGETALL groups', () => this.redis.hgetall(this.keys.groups));
    return new Map(Object.entries(raw).map(([key, json]) => [key, JSON.parse(json) as GroupState]));
  }

  /**
   * Applies the changes if `leaseValue` still holds the lease; throws
   * LeaseLostError (nothing written) otherwise. Notifications are due at once.
   * Applying the same (leaseValue, tickId) twice writes once: `tickId` must be
   * unique per tick of a lease term.
   */
  async commit(leaseValue: string, tickId: number | string, c: TickChanges): Promise<void> {
    if (c.alerts.size === 0 && c.groups.size === 0 && c.notifications.length === 0) return;
    const payload = {
      a: [...c.alerts].flatMap(([id, r]) => (r ? [[id, JSON.stringify(r)]] : [])),
      ad: [...c.alerts].flatMap(([id, r]) => (r ? [] : [id])),
      g: [...c.groups].flatMap(([key, g]) => (g ? [[key, JSON.stringify(g)]] : [])),
      gd: [...c.groups].flatMap(([key, g]) => (g ? [] : [key])),
      n: c.notifications.map((n) => [n.id, n.receiver, n.groupKey, n.body, String(n.createdAtMs), String(n.createdAtMs)]),
    };
    const k = this.keys;
    const reply = await this.call('commit', () =>
      this.redis.alerterCommit(k.lease, k.alerts, k.groups, k.outbox, k.due, k.lastCommit, leaseValue, JSON.stringify(payload), this.outboxMaxLen, `${leaseValue}/${tickId}`),
    );
    if (reply === FENCED) throw new LeaseLostError('commit');
    if (reply === ALREADY_APPLIED) return;
    if (typeof reply !== 'number' || reply < 0) throw new ScriptReplyError('commit-6.lua', reply);
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      throw new RedisUnavailableError(operation, { cause });
    }
  }
}
