import { canonicalSeriesKey } from '@ringtail/hashring';
import { samplePath, type Rejection, type SampleValidator, type SeriesCardinalityLimiter, type ShardRecord } from '@ringtail/model';
import { ShardRecordBuilder, type ShardRecordLimits } from './shard-record-builder.ts';
import type { SeriesRouter } from './series-router.ts';

/** One rejected message or sample, ready for the DLQ. */
export interface DlqEntry {
  readonly rejection: Rejection;
  readonly rawOffset: number;
  /** The original message bytes (whole-message rejection) or the offending sample as JSON. */
  readonly value: Uint8Array;
}

/** What one raw batch (one raw partition, consecutive offsets) turns into. */
export interface RoutedBatch {
  readonly rawPartition: number;
  /** Per worker, its records in raw-offset order; they all go to partition `shardPartition`. */
  readonly shardRecords: ReadonlyMap<string, readonly ShardRecord[]>;
  readonly shardPartition: number;
  readonly dlq: readonly DlqEntry[];
  readonly messages: number;
  /** Elements seen in the messages that were not rejected as a whole. */
  readonly samples: number;
  readonly routedByWorker: ReadonlyMap<string, number>;
}

export interface RawBatchRouterDeps {
  readonly validator: SampleValidator;
  readonly cardinality: SeriesCardinalityLimiter;
  readonly router: SeriesRouter;
  readonly shardTopicPartitions: number;
  readonly recordLimits: ShardRecordLimits;
}

const EMPTY = new Uint8Array(0);

/**
 * Routes one raw batch: validates each message, computes every valid sample's
 * series key, id and owner, and builds the shard records and DLQ entries.
 * Pure apart from the cardinality limiter's memory. Messages must be added in
 * offset order; the same messages (and limiter state) always give the same output.
 */
export class RawBatchRouter {
  private readonly builders = new Map<string, ShardRecordBuilder>();
  private readonly dlq: DlqEntry[] = [];
  private messages = 0;
  private samples = 0;

  constructor(
    private readonly deps: RawBatchRouterDeps,
    readonly rawPartition: number,
  ) {}

  /** Routes the message at `rawOffset`; `value` null is a tombstone (rejected). */
  add(rawOffset: number, value: Uint8Array | null): void {
    const { validator, cardinality, router } = this.deps;
    this.messages += 1;
    const decoded = validator.decodeMessage(value);
    if (!decoded.ok) {
      this.dlq.push({ rejection: decoded.rejection, rawOffset, value: value ?? EMPTY });
      return;
    }
    const { elements, array } = decoded;
    this.samples += elements.length;
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i];
      const result = validator.validate(element, i, array);
      if (!result.ok) {
        this.dlq.push({ rejection: result.rejection, rawOffset, value: encodeJson(element) });
        continue;
      }
      const sample = result.sample;
      const key = canonicalSeriesKey(sample.name, sample.labels);
      const route = router.route(key);
      const overLimit = cardinality.admit(sample.name, route.seriesId);
      if (overLimit !== undefined) {
        const rejection = { code: overLimit.code, reason: `${samplePath(i, array)}.name: ${overLimit.reason}`, sampleIndex: i };
        this.dlq.push({ rejection, rawOffset, value: encodeJson(element) });
        continue;
      }
      this.builderFor(route.owner).add(key, route.seriesId, sample, rawOffset);
    }
  }

  /** The routed batch; call once, after the last `add`. */
  finish(): RoutedBatch {
    const shardRecords = new Map<string, readonly ShardRecord[]>();
    const routedByWorker = new Map<string, number>();
    for (const [worker, builder] of this.builders) {
      routedByWorker.set(worker, builder.added);
      shardRecords.set(worker, builder.finish());
    }
    return {
      rawPartition: this.rawPartition,
      shardRecords,
      shardPartition: this.rawPartition % this.deps.shardTopicPartitions,
      dlq: this.dlq,
      messages: this.messages,
      samples: this.samples,
      routedByWorker,
    };
  }

  private builderFor(worker: string): ShardRecordBuilder {
    let builder = this.builders.get(worker);
    if (builder === undefined) {
      builder = new ShardRecordBuilder(this.deps.router.epoch, this.rawPartition, this.deps.recordLimits);
      this.builders.set(worker, builder);
    }
    return builder;
  }
}

function encodeJson(element: unknown): Uint8Array {
  // JSON.stringify gives undefined for a bare `undefined`, which JSON.parse never produces; keep the type honest.
  return Buffer.from(JSON.stringify(element) ?? 'null');
}
