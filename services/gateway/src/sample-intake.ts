import type { Message } from 'kafkajs';
import { gatewayDlqHeaders, type GatewaySource, type SampleLimits, type SampleValidator } from '@ringtail/model';
import type { Conversion } from './domain/candidate.ts';
import { judgeCandidates, packRawMessages, type RejectedSample } from './domain/request-samples.ts';
import { RequestTooLargeError } from './errors.ts';
import type { GatewayMetrics } from './gateway-metrics.ts';
import type { RawWriterPool } from './raw-writer-pool.ts';

/** What became of one request's samples once Kafka acknowledged the accepted ones. */
export interface IntakeResult {
  readonly accepted: number;
  readonly rejected: readonly RejectedSample[];
  readonly stale: number;
}

export interface SampleIntakeDeps {
  readonly validator: SampleValidator;
  readonly limits: SampleLimits;
  readonly maxSamplesPerRequest: number;
  readonly writer: RawWriterPool;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
}

/**
 * The path every protocol shares: judge the converted samples with ingest's
 * validator, pack the valid ones into raw-topic messages, write them and the
 * rejections' DLQ records, and resolve once Kafka acknowledged all of it.
 * @throws RequestTooLargeError, OverloadedError, KafkaUnavailableError
 */
export async function takeSamples(deps: SampleIntakeDeps, conversion: Conversion, source: GatewaySource): Promise<IntakeResult> {
  const total = conversion.candidates.length + conversion.rejected.length;
  if (total > deps.maxSamplesPerRequest) {
    throw new RequestTooLargeError(`request holds ${total} samples`, `GATEWAY_MAX_SAMPLES_PER_REQUEST=${deps.maxSamplesPerRequest}`);
  }
  const judged = judgeCandidates(deps.validator, conversion);
  const packed = packRawMessages(judged.accepted, deps.limits);
  const rejected = [...judged.rejected, ...packed.tooLarge];
  const dlq: Message[] = rejected.map((r) => ({ value: JSON.stringify(r.input) ?? 'null', headers: gatewayDlqHeaders(r.rejection, source) }));
  const accepted = judged.accepted.length - packed.tooLarge.length;
  const started = deps.now();
  await deps.writer.write({ messages: packed.messages, dlq, samples: accepted });
  deps.metrics.produceDuration.observe(deps.now() - started);
  const protocol = source.protocol;
  deps.metrics.samples.inc({ protocol, outcome: 'accepted' }, accepted);
  deps.metrics.samples.inc({ protocol, outcome: 'rejected' }, rejected.length);
  deps.metrics.samples.inc({ protocol, outcome: 'stale' }, judged.stale);
  return { accepted, rejected, stale: judged.stale };
}

/** The reasons of a response body: the first `max`, then how many more there were. */
export function summariseRejections(rejected: readonly RejectedSample[], max = 20): string {
  const lines = rejected.slice(0, max).map((r) => `${r.rejection.code}: ${r.rejection.reason}`);
  if (rejected.length > max) lines.push(`... and ${rejected.length - max} more rejected samples`);
  return lines.join('\n');
}
