import { describe, expect, it } from 'vitest';
import { MetricsRegistry, createLogger, eventually } from '@ringtail/runtime';
import { alerterMetrics } from '../../../services/alerter/src/alerter-metrics.ts';
import { Dispatcher, type DeliveryOutbox } from '../../../services/alerter/src/dispatcher.ts';
import type { OutboxEntry, OutboxPoll, Settlement } from '../../../services/alerter/src/outbox.ts';
import type { Receiver } from '../../../services/alerter/src/domain/rule.ts';

/** An in-memory outbox whose WAIT (`replicated`) the test holds open, one call at a time. */
class FakeOutbox implements DeliveryOutbox {
  readonly entries = new Map<string, { entry: OutboxEntry; dueMs: number }>();
  readonly settlements: string[] = [];
  readonly replicationGates: (() => void)[] = [];
  holdReplication = false;

  async poll(nowMs: number, limit: number): Promise<OutboxPoll> {
    // Read first, then WAIT, as the Redis outbox's pipeline does.
    const entries = [...this.entries.values()].filter((e) => e.dueMs <= nowMs).slice(0, limit).map((e) => e.entry);
    if (this.holdReplication) await new Promise<void>((resolve) => this.replicationGates.push(resolve));
    return { disabled: new Map(), entries, replicated: true };
  }

  async settle(_lease: string, entry: OutboxEntry, s: Settlement): Promise<boolean> {
    this.settlements.push(`${entry.entryId}:${s.action}`);
    if (s.action === 'retry') this.entries.set(entry.entryId, { entry: { ...entry, attempts: s.attempts }, dueMs: s.dueMs });
    else this.entries.delete(entry.entryId);
    return true;
  }
}

const OPS: Receiver = {
  name: 'ops',
  url: 'http://127.0.0.1:9/hook',
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  groupBy: [],
  groupWaitMs: 0,
  groupIntervalMs: 1000,
  repeatIntervalMs: 3_600_000,
  sendResolved: true,
  maxAttempts: 5,
  retryInitialMs: 100,
  retryMaxMs: 1000,
  timeoutMs: 1000,
};

function entry(id: string): OutboxEntry {
  return { entryId: id, webhookId: `msg_${id}`, receiver: 'ops', groupKey: 'ops:{}', body: '{}', createdAtMs: 0, attempts: 0 };
}

describe('Dispatcher', () => {
  it('does not send an entry again that an attempt settled while the next poll waited for its outbox read to replicate', async () => {
    const outbox = new FakeOutbox();
    outbox.entries.set('1-0', { entry: entry('1-0'), dueMs: 0 });
    const sends: string[] = [];
    let answer!: () => void;
    const dispatcher = new Dispatcher({
      outbox,
      lease: { value: () => 'lease-1' },
      send: async (_receiver, e) => {
        sends.push(e.webhookId);
        // The first attempt waits for the test; a second one (the bug) would be answered at once.
        if (sends.length === 1) await new Promise<void>((resolve) => (answer = resolve));
        return { status: 200, retryAfterMs: null };
      },
      receivers: () => new Map([['ops', OPS]]),
      clock: () => 1000,
      random: () => 0.5,
      log: createLogger('dispatcher-test', 'silent'),
      metrics: alerterMetrics(new MetricsRegistry()),
      concurrency: 4,
      pollMs: 60_000,
      minReplicas: 1,
      replicaWaitMs: 1000,
    });
    dispatcher.start();
    await eventually('the first attempt in flight', 2000, async () => (sends.length === 1 ? true : undefined), 1);

    // The next poll reads the outbox (the entry is still due) and waits for WAIT...
    outbox.holdReplication = true;
    dispatcher.wake();
    await eventually('the next poll waiting for replication', 2000, async () => (outbox.replicationGates.length === 1 ? true : undefined), 1);
    // ...while the receiver answers 200 and the attempt is acknowledged.
    answer();
    await eventually('the attempt settled', 2000, async () => (outbox.settlements.length === 1 ? true : undefined), 1);
    outbox.holdReplication = false;
    outbox.replicationGates.shift()!();
    await dispatcher.stop();

    expect(outbox.settlements).toEqual(['1-0:ack']);
    expect(sends).toEqual(['msg_1-0']);
  });
});
