import type { AlerterKeys } from '@ringtail/model';
import { LeaseLostError, NotFoundError, RedisUnavailableError, ScriptReplyError } from './errors.ts';
import { FENCED, type ScriptClient, type ScriptPipeline } from './scripts.ts';

/** One notification waiting in the outbox. */
export interface OutboxEntry {
  /** The stream entry id. */
  readonly entryId: string;
  /** The stable `webhook-id`. */
  readonly webhookId: string;
  readonly receiver: string;
  readonly groupKey: string;
  readonly body: string;
  readonly createdAtMs: number;
  /** Failed attempts so far. */
  readonly attempts: number;
}

/** A notification given up on: visible through the API and replayable. */
export interface DeadLetter {
  readonly deadId: string;
  readonly webhookId: string;
  readonly receiver: string;
  readonly groupKey: string;
  readonly reason: string;
  readonly attempts: number;
  readonly atMs: number;
  readonly body: string;
}

export type Settlement =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly dueMs: number; readonly attempts: number }
  | { readonly action: 'dead' | 'disable'; readonly nowMs: number; readonly attempts: number; readonly reason: string };

function fieldsOf(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** A receiver disabled by 410 Gone. */
export interface DisabledReceiver {
  readonly atMs: number;
  readonly reason: string;
}

/** One delivery pass's view of the outbox (see `Outbox.poll`). */
export interface OutboxPoll {
  /** Receivers disabled by 410 Gone, by name. */
  readonly disabled: ReadonlyMap<string, DisabledReceiver>;
  readonly entries: OutboxEntry[];
  /** Every write before the read is held by enough replicas: the entries may be sent. */
  readonly replicated: boolean;
}

function disabledOf(raw: Readonly<Record<string, string>>): Map<string, DisabledReceiver> {
  return new Map(Object.entries(raw).map(([name, json]) => [name, JSON.parse(json) as DisabledReceiver]));
}

/** The entries of a due-3.lua reply. */
function entriesOf(flat: readonly (string | string[] | null)[]): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const f = fieldsOf(flat[i + 1] as string[]);
    out.push({
      entryId: flat[i] as string,
      webhookId: f.id ?? '',
      receiver: f.receiver ?? '',
      groupKey: f.group ?? '',
      body: f.body ?? '',
      createdAtMs: Number(f.created ?? 0),
      attempts: Number(flat[i + 2] ?? 0),
    });
  }
  return out;
}

/** The durable outbox on Redis Streams: a stream of notifications, a due index, dead letters. */
export class Outbox {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: AlerterKeys,
    private readonly outboxMaxLen: number,
  ) {}

  /**
   * What a delivery pass needs, in one round trip: the disabled receivers,
   * the entries due at `nowMs`, oldest due first (at most `limit`; an entry
   * trimmed from the stream comes back with an empty body), and whether `minReplicas` replicas
   * hold every write the primary applied before the read, on any connection
   * (the commits that enqueued those entries), waiting at most `timeoutMs`.
   * WAIT covers only its own connection's writes, so a write of the delivery
   * mark on this connection goes between the read and the WAIT: it is applied
   * after those commits, and replication keeps the primary's order.
   * `replicated` false: a notification must not go out while the primary
   * alone knows it was enqueued, or a failover could lose it and a successor
   * send another.
   */
  async poll(nowMs: number, limit: number, minReplicas: number, timeoutMs: number): Promise<OutboxPoll> {
    const k = this.keys;
    const pipeline = this.redis.pipeline() as ScriptPipeline;
    pipeline.hgetall(k.disabled);
    pipeline.alerterDue(k.due, k.outbox, k.attempts, nowMs, limit);
    if (minReplicas > 0) pipeline.set(k.deliveryMark, '1').wait(minReplicas, timeoutMs);
    const replies = await this.call('poll', async () => (await pipeline.exec()) ?? []);
    for (const [err] of replies) if (err) throw new RedisUnavailableError('poll', { cause: err });
    return {
      disabled: disabledOf(replies[0]![1] as Record<string, string>),
      entries: entriesOf(replies[1]![1] as (string | string[] | null)[]),
      replicated: minReplicas === 0 || Number(replies[3]?.[1] ?? 0) >= minReplicas,
    };
  }

  /** Records an attempt's outcome; false if the entry was already settled. Throws LeaseLostError when fenced. */
  async settle(leaseValue: string, entry: OutboxEntry, s: Settlement): Promise<boolean> {
    const k = this.keys;
    const argv: (string | number)[] = [leaseValue, entry.entryId, s.action];
    if (s.action === 'retry') argv.push(s.dueMs, s.attempts);
    if (s.action === 'dead' || s.action === 'disable') argv.push(s.nowMs, s.attempts, s.reason, entry.webhookId, entry.receiver, entry.groupKey, entry.body);
    const reply = await this.call('settle', () => this.redis.alerterSettle(k.lease, k.due, k.attempts, k.dead, k.disabled, ...argv));
    if (reply === FENCED) throw new LeaseLostError('settle');
    if (reply !== 0 && reply !== 1) throw new ScriptReplyError('settle-5.lua', reply);
    return reply === 1;
  }

  /** Notifications still to deliver. */
  async pendingCount(): Promise<number> {
    return this.call('ZCARD due', () => this.redis.zcard(this.keys.due));
  }

  /** Receivers disabled by 410 Gone, by name. */
  async disabledReceivers(): Promise<Map<string, DisabledReceiver>> {
    return disabledOf(await this.call('HGETALL disabled', () => this.redis.hgetall(this.keys.disabled)));
  }

  /** Re-enables a receiver disabled by 410 Gone; its dead letters can then be replayed. */
  async enableReceiver(name: string): Promise<boolean> {
    return (await this.call('HDEL disabled', () => this.redis.hdel(this.keys.disabled, name))) === 1;
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    const rows = await this.call('XRANGE dead', () => this.redis.xrange(this.keys.dead, '-', '+', 'COUNT', limit));
    return rows.map(([deadId, flat]) => {
      const f = fieldsOf(flat);
      return {
        deadId,
        webhookId: f.id ?? '',
        receiver: f.receiver ?? '',
        groupKey: f.group ?? '',
        reason: f.reason ?? '',
        attempts: Number(f.attempts ?? 0),
        atMs: Number(f.at ?? 0),
        body: f.body ?? '',
      };
    });
  }

  /** Moves a dead letter back into the outbox, due now, with its webhook id; returns the new entry id. */
  async replay(deadId: string, nowMs: number): Promise<string> {
    const k = this.keys;
    const reply = await this.call('replay', () => this.redis.alerterReplay(k.dead, k.outbox, k.due, deadId, nowMs, this.outboxMaxLen));
    if (reply === 0) throw new NotFoundError('dead letter', deadId);
    return String(reply);
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (cause) {
      if (cause instanceof RedisUnavailableError || cause instanceof NotFoundError) throw cause;
      throw new RedisUnavailableError(operation, { cause });
    }
  }
}
