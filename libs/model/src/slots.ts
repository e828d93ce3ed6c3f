/**
 * Slots: the partitions of the shard topic. A series' slot is a pure function
 * of its series id, so ingest needs no knowledge of workers and a replay
 * re-produces every record into the same partition.
 */

/** Partitions of `metrics.shard` (the ring's slots) by default; set once per deployment with SHARD_SLOTS. */
export const DEFAULT_SHARD_SLOTS = 64;

/** The most slots a deployment may have: each slot is a Kafka partition and a Redis hash tag. */
export const MAX_SHARD_SLOTS = 4096;

/**
 * The slot of a series: the low 32 bits of its xxhash64 modulo the slot
 * count. `lo32` is the unsigned low word of the hash (SeriesHash.lo).
 */
export function slotOfHashLow(lo32: number, slotCount: number): number {
  return (lo32 >>> 0) % slotCount;
}

/** The slot of a series from its id (16 hex chars, most significant first): the same as `slotOfHashLow`. */
export function slotOfSeriesId(seriesId: string, slotCount: number): number {
  return slotOfHashLow(Number.parseInt(seriesId.slice(8), 16), slotCount);
}
