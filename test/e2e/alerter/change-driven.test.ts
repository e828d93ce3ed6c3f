import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { RawSample } from '@ringtail/loadgen';
import { alerterKeys, redisKeys, slotOfSeriesId, topicNames } from '@ringtail/model';
import { listAlerts } from '@ringtail/query';
import { ServiceProcess } from '@ringtail/stack';
import { WebhookReceiver } from '@ringtail/webhooks';
import { compareStreamIds } from '../../../services/alerter/src/change-follower.ts';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { PipelineUnderTest } from '../../support/pipeline.ts';
import { SECRET, alerterEnv, testRedis, thresholdRules, writeRuleFile } from '../../integration/alerter/support.ts';

const LOG_DIR = new URL('../../../.cache/test-logs', import.meta.url).pathname;
/** Far beyond every wait below: an alert seen in time cannot have come from the periodic evaluation. */
const PERIODIC_MS = '60000';
/** Well under PERIODIC_MS, generous for a loaded machine. */
const WEBHOOK_WAIT_MS = 20_000;

describe('change-driven alert evaluation (periodic evaluation every 60 s)', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let redis: Redis;
  let namespace: string;
  let receiver: WebhookReceiver;
  const alerters: ServiceProcess[] = [];
  let metricSeq = 0;

  beforeAll(async () => {
    namespace = randomNamespace('alerter-change');
    pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0'], ingestInstances: 1, extraEnv: { FLUSH_INTERVAL_MS: '100' } });
    await pipeline.start();
    producer = await pipeline.producer();
    redis = testRedis(stackEndpoints());
  });

  afterEach(async () => {
    await Promise.all(alerters.splice(0).map((p) => p.kill()));
    await receiver?.stop();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await pipeline?.purge();
    redis?.disconnect();
  });

  /** A metric of its own per test: the tests share the namespace and its alerter state keys are cleared between them. */
  async function freshWorld(ruleExtra = ''): Promise<{ metric: string; rules: string }> {
    receiver = await WebhookReceiver.start();
    const k = alerterKeys(namespace);
    await redis.del(k.alerts, k.groups, k.lease, k.changeCursors);
    const metric = `cd_temp_${metricSeq++}`;
    const yaml = thresholdRules(receiver.url, metric);
    return { metric, rules: writeRuleFile(ruleExtra ? yaml.replace('threshold: 50', `threshold: 50\n${ruleExtra}`) : yaml) };
  }

  function alerter(name: string, rules: string): ServiceProcess {
    const env = alerterEnv(stackEndpoints(), namespace, rules, { EVAL_INTERVAL_MS: PERIODIC_MS, LOG_LEVEL: 'info' });
    const p = new ServiceProcess({ name: `${namespace.replace(/\.$/, '')}-${name}`, entry: 'services/alerter/src/main.ts', env, logDir: LOG_DIR });
    alerters.push(p);
    return p;
  }

  /** Waits until `p` leads and has committed its first evaluation of every rule. */
  async function leading(p: ServiceProcess): Promise<void> {
    await eventually('first full evaluation', 30_000, async () => (((await p.metric('ringtail_alerter_evaluation_triggers_total', { trigger: 'takeover' })) ?? 0) >= 1 ? true : undefined));
  }

  const sample = (metric: string, value: number): RawSample => ({ name: metric, labels: { room: 'a' }, value, timestamp: Date.now() });
  /** Produces `s` and waits until a flush applied it: its slot's stream announced a change. */
  async function produceApplied(s: RawSample): Promise<void> {
    const before = (await streamAndCursor(s)).last;
    await producer.send({ topic: topicNames(namespace).raw, acks: -1, messages: [{ value: JSON.stringify(s) }] });
    await eventually('sample applied', 30_000, async () => ((await streamAndCursor(s)).last !== before ? true : undefined));
  }
  const firing = () => eventually('firing webhook', WEBHOOK_WAIT_MS, async () => (receiver.delivered('firing').length > 0 ? receiver.delivered('firing') : undefined));

  /** Entry id of the newest announcement on the slot of `s`, and the cursor the alerter stored for that slot. */
  async function streamAndCursor(s: RawSample): Promise<{ last: string | undefined; cursor: string | null }> {
    const slot = slotOfSeriesId(pipeline.seriesId(s), redisKeys(namespace).slotCount);
    const [latest] = await redis.xrevrange(redisKeys(namespace).changes(slot), '+', '-', 'COUNT', 1);
    return { last: latest?.[0], cursor: await redis.hget(alerterKeys(namespace).changeCursors, String(slot)) };
  }

  /** A fresh world whose first alerter evaluated a change below the threshold (so its slot's cursor is stored), then died by kill -9. */
  async function killedAfterACursor(): Promise<{ metric: string; rules: string }> {
    const world = await freshWorld();
    const a = alerter('a', world.rules);
    await a.start();
    await leading(a);
    const quiet = sample(world.metric, 20);
    await produceApplied(quiet);
    await eventually('cursor stored', WEBHOOK_WAIT_MS, async () => ((await streamAndCursor(quiet)).cursor !== null ? true : undefined));
    await a.kill();
    return world;
  }

  it('sends the firing webhook of a crossing sample without waiting for the periodic evaluation', async () => {
    const { metric, rules } = await freshWorld();
    const a = alerter('a', rules);
    await a.start();
    await leading(a);
    await produceApplied(sample(metric, 20));
    await produceApplied(sample(metric, 75));
    const [hook] = await firing();
    expect(hook!.json!.alerts[0]).toMatchObject({ labels: { alertname: 'HighTemp', room: 'a' }, value: 75 });
    expect((await a.metric('ringtail_alerter_evaluation_triggers_total', { trigger: 'periodic' })) ?? 0).toBe(0);
    expect((await a.metric('ringtail_alerter_evaluation_triggers_total', { trigger: 'change' })) ?? 0).toBeGreaterThan(0);
    receiver.verifyAll(SECRET);
  });

  it('fires a `for: 3s` alert when its 3 s are up, not at a tick', async () => {
    const { metric, rules } = await freshWorld('    for: 3s');
    const a = alerter('a', rules);
    await a.start();
    await leading(a);
    await produceApplied(sample(metric, 75));
    const pending = await eventually('pending alert', WEBHOOK_WAIT_MS, async () => (await listAlerts(redis, namespace)).find((x) => x.state === 'pending'));
    const [hook] = await firing();
    const row = (await listAlerts(redis, namespace)).find((x) => x.state === 'firing')!;
    expect(row.activeAtMs).toBe(pending.activeAtMs);
    // A timer at activeAt + 3 s, late only by scheduling on a loaded machine; a tick would be a minute away.
    expect(row.firedAtMs! - row.activeAtMs).toBeGreaterThanOrEqual(3000);
    expect(row.firedAtMs! - row.activeAtMs).toBeLessThan(6000);
    expect(hook!.json!.alerts[0]!.startsAt).toBe(new Date(row.firedAtMs!).toISOString());
    expect((await a.metric('ringtail_alerter_evaluation_triggers_total', { trigger: 'periodic' })) ?? 0).toBe(0);
    expect((await a.metric('ringtail_alerter_evaluation_triggers_total', { trigger: 'deadline' })) ?? 0).toBeGreaterThan(0);
  });

  it('fires exactly once when the alerter is killed between the announcement and its evaluation', async () => {
    const { metric, rules } = await killedAfterACursor();
    const crossing = sample(metric, 75);
    await produceApplied(crossing);
    // The flush announced the change and no alerter evaluated it: the stored cursor is behind the stream.
    const before = await streamAndCursor(crossing);
    expect(before.last).toBeDefined();
    expect(compareStreamIds(before.cursor!, before.last!)).toBeLessThan(0);

    const b = alerter('b', rules);
    await b.start();
    await firing();
    // b caught up from the stored cursor: the announcement's entry is now covered.
    await eventually('cursor caught up', WEBHOOK_WAIT_MS, async () => {
      const now = await streamAndCursor(crossing);
      return now.cursor !== null && compareStreamIds(now.cursor, before.last!) >= 0 ? true : undefined;
    });
    await eventually('outbox drained', WEBHOOK_WAIT_MS, async () => ((await redis.zcard(alerterKeys(namespace).due)) === 0 ? true : undefined));
    // One more crossing sample, evaluated on its announcement: still the one firing notification.
    const evaluated = (await b.metric('ringtail_alerter_evaluations_total')) ?? 0;
    await produceApplied(sample(metric, 80));
    await eventually('the next sample evaluated', WEBHOOK_WAIT_MS, async () => (((await b.metric('ringtail_alerter_evaluations_total')) ?? 0) > evaluated ? true : undefined));
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing']);
  });

  it('falls back to evaluating every rule when the stream was trimmed past the stored cursor, losing no alert', async () => {
    const { metric, rules } = await killedAfterACursor();
    const crossing = sample(metric, 75);
    await produceApplied(crossing);
    const slot = slotOfSeriesId(pipeline.seriesId(crossing), redisKeys(namespace).slotCount);
    await redis.xtrim(redisKeys(namespace).changes(slot), 'MAXLEN', 0);

    const b = alerter('b', rules);
    await b.start();
    const [hook] = await firing();
    expect(hook!.json!.alerts[0]).toMatchObject({ labels: { alertname: 'HighTemp', room: 'a' }, value: 75 });
    await eventually('the gap noticed', WEBHOOK_WAIT_MS, async () => (((await b.metric('ringtail_alerter_change_gaps_total')) ?? 0) >= 1 ? true : undefined));
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing']);
  });
});
