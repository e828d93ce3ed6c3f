/**
 * The inter-stage record ingest writes to a shard topic.
 *
 * A series always goes to the partition of its slot (slots.ts), so each
 * slot's flush touches its own series' windows and no others. Ingest writes
 * what it reads from raw partition `rp` in raw-offset order into every slot's
 * partition, so the shard keeps one watermark per (slot, raw partition) and
 * skips any sample at or below it: a replay after a crash re-batches freely but
 * never reorders. Each sample carries its own raw offset for that reason.
 */
export interface ShardRecord {
  /** Format version; readers reject other versions. */
  readonly v: 2;
  /** Raw partition every sample in this record came from. */
  readonly rp: number;
  /**
   * Highest Kafka timestamp (ms) of the raw records whose samples this record
   * holds; absent when none had one. Advances the slot's clock, which decides
   * when windows close (see services/shard/README.md, "Closing windows").
   */
  readonly rt?: number;
  /** Series referenced by the samples: index in this array is the sample's first element. */
  readonly series: readonly ShardSeries[];
  /** [series index, value, timestamp ms, raw offset, expired mask?], raw offsets non-decreasing. */
  readonly samples: readonly ShardSample[];
}

export interface ShardSeries {
  /** Series id: 16 lowercase hex chars (xxhash64 of the canonical key). */
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * One sample. `expiredMask` (absent when 0, nearly always) has bit r set when
 * resolution r no longer keeps the sample's window (see `judgeSampleAge`):
 * the shard does not write the sample to that resolution.
 */
export type ShardSample = readonly [seriesIndex: number, value: number, timestampMs: number, rawOffset: number, expiredMask?: number];

export const SHARD_RECORD_VERSION = 2;

export function encodeShardRecord(r: ShardRecord): Buffer {
  return Buffer.from(JSON.stringify(r));
}

/** Parses a shard record; throws on anything that is not a record of SHARD_RECORD_VERSION. */
export function decodeShardRecord(bytes: Buffer): ShardRecord {
  const r = JSON.parse(bytes.toString('utf8')) as ShardRecord;
  if (r === null || typeof r !== 'object' || r.v !== SHARD_RECORD_VERSION || !Array.isArray(r.samples) || !Array.isArray(r.series)) {
    throw new Error(`not a version-${SHARD_RECORD_VERSION} shard record`);
  }
  return r;
}
