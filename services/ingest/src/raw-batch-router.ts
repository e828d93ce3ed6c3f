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

/** The records one raw batch sends to one slot (shard-topic partition), in raw-offset order. */
export interface SlotRecords {
  readonly slot: number;
  readonly records: readonly ShardRecord[];
}

/** What one raw batch (one raw partition, consecutive offsets) turns into. */
export interface RoutedBatch {
  readonly rawPartition: number;
  readonly shardRecords: readonly SlotRecords[];
  readonly dlq: readonly DlqEntry[];
  readonly messages: number;
  /** Elements seen in the messages that were not rejected as a whole. */
  readonly samples: number;
  /** Valid samples written to the shard topic. */
  readonly routed: number;
}

export interface RawBatchRouterDeps {
  readonly validator: SampleValidator;
  readonly cardinality: SeriesCardinalityLimiter;
  readonly router: SeriesRouter;
  readonly recordLimits: ShardRecordLimits;
}

const EMPTY = new Uint8Array(0);

/**
 * Routes one raw batch: validates each message, computes every valid sample's
 * series key, id and slot, and builds the shard records and DLQ entries.
 * Pure apart from the cardinality limiter's memory. Messages must be added in
 * offset order; the same messages (and limiter state) always give the same output.
 */
export class RawBatchRouter {
  /** By slot. */
  private readonly builders = new Map<number, ShardRecordBuilder>();
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
      this.builderFor(route.slot).add(key, route.seriesId, sample, rawOffset);
    }
  }

  /** The routed batch; call once, after the last `add`. */
  finish(): RoutedBatch {
    const shardRecords: SlotRecords[] = [];
    let routed = 0;
    for (const [slot, builder] of this.builders) {
      routed += builder.added;
      shardRecords.push({ slot, records: builder.finish() });
    }
    return {
      rawPartition: this.rawPartition,
      shardRecords,
      dlq: this.dlq,
      messages: this.messages,
      samples: this.samples,
      routed,
    };
  }

  private builderFor(slot: number): ShardRecordBuilder {
    let builder = this.builders.get(slot);
    if (builder === undefined) {
      builder = new ShardRecordBuilder(this.rawPartition, this.deps.recordLimits);
      this.builders.set(slot, builder);
    }
    return builder;
  }
}

function encodeJson(element: unknown): Uint8Array {
  // JSON.stringify gives undefined for a bare `undefined`, which JSON.parse never produces; keep the type honest.
  return Buffer.from(JSON.stringify(element) ?? 'null');
}
