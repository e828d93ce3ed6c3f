import { describe, expect } from 'vitest';
import { metricValue, scrapeMetrics } from '@ringtail/runtime';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import { alerterKeys } from '@ringtail/model';
import { listAlerts } from '@ringtail/query';
import { Outbox, type RunningAlerter } from '../../../services/alerter/src/index.ts';
import { withScripts } from '../../../services/alerter/src/scripts.ts';
import { eventually } from '../../support/fixtures.ts';
import { SECRET, alerterTest, thresholdRules, writeRuleFile } from './support.ts';

/** An alerter test with `temp(value)` writing the rule's series and `startLeader()` starting an alerter that leads. */
const deliveryTest = alerterTest.extend<{ temp: (value: number) => Promise<void>; startLeader: (rules?: string) => Promise<RunningAlerter> }>({
  temp: async ({ bed }, use) => {
    const writer = new WindowWriter(bed.redis, bed.namespace);
    await use((value) => writer.write([{ name: 'temp', labels: { room: 'a' }, value, timestampMs: Date.now() }]));
  },
  startLeader: async ({ bed }, use) => {
    await use(async (rules = thresholdRules(bed.receiver.url, 'temp')) => {
      const alerter = await bed.startAlerter(writeRuleFile(rules));
      await eventually('leadership', 10_000, async () => (alerter.isLeader() ? true : undefined));
      return alerter;
    });
  },
});

describe('alert webhooks against a real receiver and Redis', () => {
  deliveryTest('sends one signed firing webhook when a rule crosses its threshold and one resolved webhook when it falls back', async ({ bed, temp, startLeader }) => {
    const { redis, receiver, namespace } = bed;
    await temp(20);
    const alerter = await startLeader();
    await temp(70);
    const [firing] = await eventually('firing webhook', 10_000, async () => (receiver.delivered('firing').length > 0 ? receiver.delivered('firing') : undefined));
    expect(firing!.json!.alerts[0]).toMatchObject({ status: 'firing', labels: { alertname: 'HighTemp', room: 'a', severity: 'page' }, value: 70 });
    expect(firing!.json).toMatchObject({ receiver: 'ops', groupLabels: { alertname: 'HighTemp' }, commonAnnotations: { summary: 'room a at 70' } });
    await temp(30);
    await eventually('resolved webhook', 10_000, async () => (receiver.delivered('resolved').length > 0 ? true : undefined));
    // Further evaluations must repeat neither notification.
    const evaluated = await alerterMetric(alerter, 'ringtail_alerter_evaluations_total');
    await eventually('more evaluations', 15_000, async () => ((await alerterMetric(alerter, 'ringtail_alerter_evaluations_total')) > evaluated + 5 ? true : undefined));
    expect((await listAlerts(redis, namespace)).map((a) => a.state)).toEqual(['resolved']);
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing', 'resolved']);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(2);
    receiver.verifyAll(SECRET);
  });

  deliveryTest('retries after 500s and delivers once', async ({ bed, temp, startLeader }) => {
    const { redis, receiver, namespace } = bed;
    receiver.reply({ status: 500 }, { status: 503 }, { status: 500 });
    const alerter = await startLeader();
    await temp(80);
    await eventually('delivery after retries', 15_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    expect(receiver.received.map((w) => w.status)).toEqual([500, 503, 500, 200]);
    expect(new Set(receiver.received.map((w) => w.id)).size).toBe(1);
    receiver.verifyAll(SECRET);
    await eventually('outbox drained', 5_000, async () => ((await redis.zcard(alerterKeys(namespace).due)) === 0 ? true : undefined));
  });

  deliveryTest('waits as long as a 429 Retry-After asks before retrying', async ({ bed, temp, startLeader }) => {
    const { receiver } = bed;
    receiver.reply({ status: 429, headers: { 'retry-after': '2' } });
    const alerter = await startLeader();
    await temp(80);
    await eventually('delivery after 429', 15_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    const [limited, ok] = receiver.received;
    expect([limited!.status, ok!.status]).toEqual([429, 200]);
    expect(ok!.atMs - limited!.atMs).toBeGreaterThanOrEqual(2000);
    expect(ok!.atMs - limited!.atMs).toBeLessThan(3500);
    expect(ok!.id).toBe(limited!.id);
  });

  deliveryTest('disables a receiver answering 410 and keeps the notification as a replayable dead letter', async ({ bed, temp, startLeader }) => {
    const { redis, receiver, namespace } = bed;
    receiver.reply({ status: 410 });
    const alerter = await startLeader();
    await temp(80);
    const outbox = new Outbox(withScripts(redis), alerterKeys(namespace), 1000);
    const [dead] = await eventually('dead letter', 10_000, async () => {
      const d = await outbox.deadLetters();
      return d.length > 0 ? d : undefined;
    });
    expect(dead).toMatchObject({ receiver: 'ops', reason: expect.stringContaining('410') });
    const api = (await (await fetch(`http://127.0.0.1:${alerter.port}/api/v1/deadletters`)).json()) as { data: { deadLetters: unknown[]; disabledReceivers: Record<string, unknown> } };
    expect(api.data.deadLetters).toHaveLength(1);
    expect(Object.keys(api.data.disabledReceivers)).toEqual(['ops']);

    await outbox.enableReceiver('ops');
    const replay = await fetch(`http://127.0.0.1:${alerter.port}/api/v1/deadletters/replay?id=${encodeURIComponent(dead!.deadId)}`, { method: 'POST' });
    expect(replay.status).toBe(200);
    await eventually('replayed delivery', 10_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    expect(receiver.delivered('firing')[0]!.id).toBe(dead!.webhookId);
    expect(await outbox.deadLetters()).toEqual([]);
  });

  deliveryTest('serves alerts and rules as Prometheus-like JSON', async ({ bed, temp, startLeader }) => {
    const { redis, namespace } = bed;
    const alerter = await startLeader();
    await temp(90);
    await eventually('firing', 10_000, async () => ((await listAlerts(redis, namespace))[0]?.state === 'firing' ? true : undefined));
    const alerts = (await (await fetch(`http://127.0.0.1:${alerter.port}/api/v1/alerts`)).json()) as { status: string; data: { alerts: { state: string; value: string }[] } };
    expect(alerts).toMatchObject({ status: 'success', data: { alerts: [{ state: 'firing', value: '90' }] } });
    const rules = (await (await fetch(`http://127.0.0.1:${alerter.port}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; state: string; health: string }[] }[] } };
    expect(rules.data.groups[0]!.rules[0]).toMatchObject({ name: 'HighTemp', state: 'firing', health: 'ok' });
  });
});

async function alerterMetric(a: RunningAlerter, name: string): Promise<number> {
  return metricValue(await scrapeMetrics(a.port), name) ?? 0;
}
