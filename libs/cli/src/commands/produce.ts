import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { SampleGenerator, produceLoad } from '@ringtail/loadgen';
import { DEFAULT_RAW_PARTITIONS, topicNames } from '@ringtail/model';
import { connectIdempotentProducer, createLogger, ensureTopics, parseEnv } from '@ringtail/runtime';
import { cliEnv, connectCliKafka } from '../client-env.ts';
import type { Command } from '../command.ts';
import { durationOption } from '../durations.ts';

export const produceCommand: Command = {
  summary:
    'Load generator: produces metric samples to metrics.raw at a set rate and can record exactly what the broker acknowledged.\n' +
    'Reaches Kafka through KAFKA_BROKERS (default: the local stack).',
  usage:
    'ringtail produce [--rate N/s] [--series N] [--labels N] [--metrics N] [--duration 30s | --samples N]\n' +
    '                 [--batch samples-per-message] [--jitter 5s] [--seed N] [--record file.ndjson] [--partitions N]',
  async run(args) {
    const { values } = parseArgs({
      args,
      options: {
        rate: { type: 'string', default: '10000' },
        series: { type: 'string', default: '1000' },
        labels: { type: 'string', default: '3' },
        metrics: { type: 'string', default: '10' },
        duration: { type: 'string' },
        samples: { type: 'string' },
        batch: { type: 'string', default: '100' },
        jitter: { type: 'string', default: '5s' },
        seed: { type: 'string', default: '1' },
        record: { type: 'string' },
        partitions: { type: 'string', default: String(DEFAULT_RAW_PARTITIONS) },
      },
    });
    const env = parseEnv(cliEnv, process.env);
    const log = createLogger('ringtail-produce', env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
    const topics = topicNames(env.RINGTAIL_NAMESPACE);
    const count = (name: string, v: string | undefined) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw Object.assign(new Error(`--${name} must be a non-negative integer, got '${v}'`), { code: 'USAGE' });
      return n;
    };
    const durationMs = values.duration ? durationOption(values.duration, '--duration') : undefined;
    const totalSamples = values.samples ? count('samples', values.samples) : undefined;
    const generator = new SampleGenerator({
      seriesCount: Math.max(1, count('series', values.series)),
      labelsPerSeries: count('labels', values.labels),
      metricNames: Math.max(1, count('metrics', values.metrics)),
      jitterMs: durationOption(values.jitter!, '--jitter'),
      seed: count('seed', values.seed),
    });

    const kafka = await connectCliKafka(env, 'ringtail-produce', log);
    const admin = kafka.admin();
    await admin.connect();
    try {
      // --partitions applies only when the topic is created here; an existing topic is used as it is.
      await ensureTopics(admin, [{ topic: topics.raw, numPartitions: count('partitions', values.partitions) }], { log });
    } finally {
      await admin.disconnect();
    }

    const producer = await connectIdempotentProducer(kafka);
    const record = values.record ? createWriteStream(values.record) : undefined;
    const batch = Math.max(1, count('batch', values.batch));
    try {
      const result = await produceLoad(
        producer,
        generator,
        {
          topic: topics.raw,
          ratePerSec: count('rate', values.rate),
          durationMs: durationMs ?? (totalSamples === undefined ? 10_000 : undefined),
          totalSamples,
          samplesPerMessage: batch,
          messagesPerSend: Math.max(1, Math.floor(1000 / batch)),
        },
        record ? (samples) => void record.write(samples.map((s) => JSON.stringify(s)).join('\n') + '\n') : undefined,
      );
      const perSec = Math.round((result.samples * 1000) / Math.max(1, result.elapsedMs));
      process.stdout.write(
        `${JSON.stringify({ topic: topics.raw, samples: result.samples, messages: result.messages, elapsedMs: result.elapsedMs, samplesPerSec: perSec })}\n`,
      );
    } finally {
      await producer.disconnect();
      if (record) await new Promise<void>((resolve) => record.end(() => resolve()));
    }
    return 0;
  },
};
