import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ServiceProcess } from '@ringtail/stack';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import { alerterKeys } from '@ringtail/model';
import { listAlerts } from '@ringtail/query';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { WebhookReceiver } from '@ringtail/webhooks';
import { SECRET, alerterEnv, testRedis, thresholdRules, writeRuleFile } from '../../integration/alerter/support.ts';

const LOG_DIR = new URL('../../../.cache/test-logs', import.meta.url).pathname;

describe('alerter processes across kill -9 and leader failover', () => {
  let redis: Redis;
  let receiver: WebhookReceiver;
  let namespace: string;
  let writer: WindowWriter;
  const processes: ServiceProcess[] = [];

  beforeEach(async () => {
    namespace = randomNamespace('alerter-e2e');
    redis = testRedis(stackEndpoints());
    receiver = await WebhookReceiver.start();
    writer = new WindowWriter(redis, namespace);
  });

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.kill()));
    await receiver.stop();
    redis.disconnect();
  });

  const temp = (value: number) => writer.write([{ name: 'temp', labels: { room: 'a' }, value, timestampMs: Date.now() }]);

  function alerter(name: string, rulesFile: string): ServiceProcess {
    const tag = namespace.replace(/\.$/, '');
    const p = new ServiceProcess({ name: `${tag}-${name}`, entry: 'services/alerter/src/main.ts', env: alerterEnv(stackEndpoints(), namespace, rulesFile, { LOG_LEVEL: 'info' }), logDir: LOG_DIR });
    processes.push(p);
    return p;
  }

  /**
   * Waits until every delivery is settled in Redis. Killing a leader between the
   * receiver's 200 and the settle is the mid-request case, tested on its own below.
   */
  const outboxDrained = () => eventually('outbox drained', 15_000, async () => ((await redis.zcard(alerterKeys(namespace).due)) === 0 ? true : undefined));

  const isLeader = async (p: ServiceProcess) => (await p.metric('ringtail_alerter_is_leader')) === 1;
  const evaluations = async (p: ServiceProcess) => (await p.metric('ringtail_alerter_evaluations_total')) ?? 0;

  /** Waits until `p` leads and has committed `n` more evaluation ticks. */
  async function evaluatedBy(p: ServiceProcess, n: number): Promise<void> {
    await eventually('leadership', 15_000, async () => ((await isLeader(p)) ? true : undefined));
    const from = await evaluations(p);
    await eventually(`${n} evaluations`, 15_000, async () => ((await evaluations(p)) >= from + n ? true : undefined));
  }

  it('neither re-fires nor loses the resolution after kill -9 and restart of a firing alerter', async () => {
    const rules = writeRuleFile(thresholdRules(receiver.url, 'temp'));
    const first = alerter('a', rules);
    await first.start();
    await temp(70);
    await eventually('firing webhook', 15_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    await outboxDrained();
    await first.kill();

    const second = alerter('b', rules);
    await second.start();
    await evaluatedBy(second, 5);
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing']);

    await temp(20);
    await eventually('resolved webhook', 15_000, async () => (receiver.delivered('resolved').length > 0 ? true : undefined));
    await evaluatedBy(second, 5);
    expect(receiver.received.map((w) => [w.json?.status, w.status])).toEqual([
      ['firing', 200],
      ['resolved', 200],
    ]);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(2);
    receiver.verifyAll(SECRET);
  });

  it('keeps a pending `for` timer across kill -9', async () => {
    const rules = writeRuleFile(thresholdRules(receiver.url, 'temp').replace("threshold: 50", "threshold: 50\n    for: 4s"));
    const first = alerter('a', rules);
    await first.start();
    await temp(70);
    const pending = await eventually('pending alert', 15_000, async () => (await listAlerts(redis, namespace)).find((a) => a.state === 'pending'));
    await first.kill();

    const second = alerter('b', rules);
    await second.start();
    const [firing] = await eventually('firing webhook', 20_000, async () => (receiver.delivered('firing').length > 0 ? receiver.delivered('firing') : undefined));
    const row = (await listAlerts(redis, namespace))[0]!;
    expect(row.activeAtMs).toBe(pending.activeAtMs);
    expect(row.firedAtMs! - row.activeAtMs).toBeGreaterThanOrEqual(4000);
    expect(firing!.json!.alerts[0]!.startsAt).toBe(new Date(row.firedAtMs!).toISOString());
    expect(receiver.received).toHaveLength(1);
  });

  it('hands over to the other instance when the leader of two is killed, without a duplicate', async () => {
    const rules = writeRuleFile(thresholdRules(receiver.url, 'temp'));
    const [a, b] = [alerter('a', rules), alerter('b', rules)];
    await Promise.all([a.start(), b.start()]);
    const leader = await eventually('a leader', 15_000, async () => ((await isLeader(a)) ? a : (await isLeader(b)) ? b : undefined));
    const follower = leader === a ? b : a;
    expect(await isLeader(follower)).toBe(false);

    await temp(70);
    await eventually('firing webhook', 15_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    await outboxDrained();
    await leader.kill();
    await evaluatedBy(follower, 5);
    await temp(20);
    await eventually('resolved webhook', 15_000, async () => (receiver.delivered('resolved').length > 0 ? true : undefined));
    await evaluatedBy(follower, 5);
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing', 'resolved']);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(2);
  });

  it('delivers a notification enqueued by a leader that died before delivering it', async () => {
    receiver.reply({ status: 503, headers: { 'retry-after': '3' } });
    const rules = writeRuleFile(thresholdRules(receiver.url, 'temp'));
    const [a, b] = [alerter('a', rules), alerter('b', rules)];
    await Promise.all([a.start(), b.start()]);
    const leader = await eventually('a leader', 15_000, async () => ((await isLeader(a)) ? a : (await isLeader(b)) ? b : undefined));
    await temp(70);
    await eventually('first attempt', 15_000, async () => (receiver.received.length > 0 ? true : undefined));
    await leader.kill();
    await eventually('delivery by the successor', 20_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    expect(receiver.received.map((w) => w.status)).toEqual([503, 200]);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(1);
  });

  it('re-sends with the same webhook-id when the leader dies mid-request, so the receiver can deduplicate', async () => {
    receiver.reply({ status: 200, delayMs: 60_000 });
    const rules = writeRuleFile(thresholdRules(receiver.url, 'temp'));
    const [a, b] = [alerter('a', rules), alerter('b', rules)];
    await Promise.all([a.start(), b.start()]);
    const leader = await eventually('a leader', 15_000, async () => ((await isLeader(a)) ? a : (await isLeader(b)) ? b : undefined));
    const follower = leader === a ? b : a;
    await temp(70);
    await eventually('request in flight', 15_000, async () => (receiver.received.length > 0 ? true : undefined));
    await leader.kill();
    await eventually('re-sent by the successor', 20_000, async () => (receiver.received.length > 1 ? true : undefined));
    await evaluatedBy(follower, 5);
    expect(receiver.received).toHaveLength(2);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(1);
  });
});
