import { canonicalSeriesKey } from '@ringtail/hashring';
import {
  judgeSampleAge,
  samplePath,
  type Rejection,
  type SampleAgePolicy,
  type SampleValidator,
  type SeriesCardinalityLimiter,
  type ShardRecord,
} from '@ringtail/model';
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
  /** Accepted samples not written to a resolution whose retention their window had already passed, by resolution name. */
  readonly expiredByResolution: ReadonlyMap<string, number>;
}

export interface RawBatchRouterDeps {
  readonly validator: SampleValidator;
  readonly cardinality: SeriesCardinalityLimiter;
  readonly router: SeriesRouter;
  readonly recordLimits: ShardRecordLimits;
  /** Judges each sample's timestamp against its raw record's (too old, too new, expired in some resolutions). */
  readonly agePolicy: SampleAgePolicy;
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
  /** By resolution index. */
  private readonly expired: number[];

  constructor(
    private readonly deps: RawBatchRouterDeps,
    readonly rawPartition: number,
  ) {
    this.expired = deps.agePolicy.resolutions.map(() => 0);
  }

  /**
   * Routes the message at `rawOffset`, whose Kafka record timestamp is
   * `recordTimestampMs` (each sample's age is judged against it, so a replay
   * judges alike); `value` null is a tombstone (rejected).
   * Never throws: input that makes validation or routing fail unexpectedly goes
   * to the DLQ as INTERNAL_ERROR (the whole message, or just the failing sample),
   * so no message can stop the consumer or be re-read forever.
   */
  add(rawOffset: number, value: Uint8Array | null, recordTimestampMs: number): void {
    this.messages += 1;
    let decoded;
    try {
      decoded = this.deps.validator.decodeMessage(value);
    } catch (err) {
      this.dlq.push({ rejection: { code: 'INTERNAL_ERROR', reason: `$: ${unexpected(err)}` }, rawOffset, value: value ?? EMPTY });
      return;
    }
    if (!decoded.ok) {
      this.dlq.push({ rejection: decoded.rejection, rawOffset, value: value ?? EMPTY });
      return;
    }
    const { elements, array } = decoded;
    this.samples += elements.length;
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i];
      let rejection: Rejection | undefined;
      try {
        rejection = this.route(element, i, array, rawOffset, recordTimestampMs);
      } catch (err) {
        rejection = { code: 'INTERNAL_ERROR', reason: `${samplePath(i, array)}: ${unexpected(err)}`, sampleIndex: i };
      }
      if (rejection !== undefined) this.dlq.push({ rejection, rawOffset, value: dlqValue(element, value) });
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
      expiredByResolution: new Map(this.deps.agePolicy.resolutions.map((r, i) => [r.name, this.expired[i]!] as const).filter(([, n]) => n > 0)),
    };
  }

  /** Adds one element to its shard record, or says why it is rejected. */
  private route(element: unknown, index: number, array: boolean, rawOffset: number, recordTimestampMs: number): Rejection | undefined {
    const result = this.deps.validator.validate(element, index, array);
    if (!result.ok) return result.rejection;
    const sample = result.sample;
    const age = judgeSampleAge(sample.timestamp, recordTimestampMs, this.deps.agePolicy);
    if (!age.ok) return { code: age.code, reason: `${samplePath(index, array)}.timestamp: ${age.reason}`, sampleIndex: index };
    const key = canonicalSeriesKey(sample.name, sample.labels);
    const route = this.deps.router.route(key);
    const overLimit = this.deps.cardinality.admit(sample.name, route.seriesId);
    if (overLimit !== undefined) return { code: overLimit.code, reason: `${samplePath(index, array)}.name: ${overLimit.reason}`, sampleIndex: index };
    this.builderFor(route.slot).add(key, route.seriesId, sample, rawOffset, age.expiredMask, recordTimestampMs);
    for (let r = 0; age.expiredMask >>> r !== 0; r++) if ((age.expiredMask & (1 << r)) !== 0) this.expired[r]! += 1;
    return undefined;
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

/**
 * The DLQ value of one rejected sample: the sample as JSON. Cannot throw: when
 * the element does not serialise (it can only come from a decoder bug, as
 * JSON.parse output within MAX_JSON_DEPTH always does), the whole message's bytes stand in.
 */
function dlqValue(element: unknown, message: Uint8Array | null): Uint8Array {
  try {
    // JSON.stringify gives undefined for a bare `undefined`, which JSON.parse never produces; keep the type honest.
    return Buffer.from(JSON.stringify(element) ?? 'null');
  } catch {
    return message ?? EMPTY;
  }
}

function unexpected(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : 'non-error thrown';
  return `unexpected error while routing (${text})`;
}
