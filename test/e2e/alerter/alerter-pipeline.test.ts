import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { topicNames } from '@ringtail/model';
import { ServiceProcess } from '@ringtail/stack';
import { eventually, randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { PipelineUnderTest } from '../../support/pipeline.ts';
import { WebhookReceiver } from '@ringtail/webhooks';
import { SECRET, alerterEnv, thresholdRules, writeRuleFile } from '../../integration/alerter/support.ts';

const LOG_DIR = new URL('../../../.cache/test-logs', import.meta.url).pathname;

describe('alerts from samples produced to Kafka', () => {
  let pipeline: PipelineUnderTest;
  let producer: Producer;
  let receiver: WebhookReceiver;
  let alerter: ServiceProcess;
  let rawTopic: string;

  beforeAll(async () => {
    const namespace = randomNamespace('alerter-pipe');
    rawTopic = topicNames(namespace).raw;
    pipeline = new PipelineUnderTest(stackEndpoints(), { namespace, workers: ['w0'], ingestInstances: 1, extraEnv: { FLUSH_INTERVAL_MS: '100' } });
    await pipeline.start();
    producer = await pipeline.producer();
    receiver = await WebhookReceiver.start();
    const env = alerterEnv(stackEndpoints(), namespace, writeRuleFile(thresholdRules(receiver.url, 'temp')), { LOG_LEVEL: 'info' });
    alerter = new ServiceProcess({ name: `${namespace.replace(/\.$/, '')}-alerter`, entry: 'services/alerter/src/main.ts', env, logDir: LOG_DIR });
    await alerter.start();
  });

  afterAll(async () => {
    await alerter?.stop();
    await producer?.disconnect();
    await pipeline?.stop();
    await receiver?.stop();
  });

  const produce = (value: number) =>
    producer.send({ topic: rawTopic, acks: -1, messages: [{ value: JSON.stringify({ name: 'temp', labels: { room: 'a' }, value, timestamp: Date.now() }) }] });

  it('goes Kafka → ingest → shard → Redis → alerter → one signed firing and one resolved webhook', async () => {
    await produce(20);
    await produce(75);
    const [firing] = await eventually('firing webhook', 60_000, async () => (receiver.delivered('firing').length > 0 ? receiver.delivered('firing') : undefined));
    expect(firing!.json!.alerts[0]).toMatchObject({ labels: { alertname: 'HighTemp', room: 'a' }, value: 75 });
    await produce(10);
    await eventually('resolved webhook', 60_000, async () => (receiver.delivered('resolved').length > 0 ? true : undefined));
    const evaluated = (await alerter.metric('ringtail_alerter_evaluations_total')) ?? 0;
    await eventually('more evaluations', 10_000, async () => (((await alerter.metric('ringtail_alerter_evaluations_total')) ?? 0) > evaluated + 5 ? true : undefined));
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing', 'resolved']);
    receiver.verifyAll(SECRET);
  });
});
