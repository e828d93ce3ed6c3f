import type { IndexedSeries, PartitionBatch } from './flush-batch.ts';
import { watermarkField, type WatermarkAdvance } from './watermarks.ts';

/** What a shard partition has written to Redis since its offsets were last committed. */
export interface UnconfirmedPartition {
  /** Where to re-read from if these writes turn out to be lost: the first record not yet committed. */
  readonly firstKafkaOffset: string;
  commitKafkaOffset: string;
  /** Watermark (`watermarkField`) → what the worker wrote to it last. */
  readonly watermarks: Map<string, WatermarkAdvance>;
  newSeries: IndexedSeries[];
  sampleCount: number;
}

/**
 * Partition batches applied to Redis but not yet confirmed by a successful
 * WAIT, merged per shard partition. Their Kafka offsets are held back.
 *
 * A later WAIT only proves what the primary held when the connection last
 * wrote, and a failover can lose writes whose WAIT failed. So every later
 * script of a partition re-checks the watermarks of its unconfirmed writes
 * (`withConfirmation`): a lost write then fences the partition, which is
 * re-read from `firstKafkaOffset`, instead of its offsets being committed.
 *
 * Pure: no I/O.
 */
export class UnconfirmedBatches {
  private readonly partitions = new Map<number, UnconfirmedPartition>();

  get size(): number {
    return this.partitions.size;
  }

  get(shardPartition: number): UnconfirmedPartition | undefined {
    return this.partitions.get(shardPartition);
  }

  entries(): IterableIterator<[number, UnconfirmedPartition]> {
    return this.partitions.entries();
  }

  /**
   * The batches to send for `batches`: each carries, besides its own watermark
   * advances, an unchanged-value check (expected = next) of every watermark its
   * partition wrote earlier without confirmation; a partition with unconfirmed
   * writes and no new batch gets a check-only batch. `firstKafkaOffset` is where
   * a fenced partition must be re-read from.
   */
  withConfirmation(batches: readonly PartitionBatch[]): PartitionBatch[] {
    const out: PartitionBatch[] = [];
    const seen = new Set<number>();
    for (const b of batches) {
      seen.add(b.shardPartition);
      const u = this.partitions.get(b.shardPartition);
      if (u === undefined) {
        out.push(b);
        continue;
      }
      const advanced = new Set(b.watermarks.map(watermarkField));
      const checks = [...u.watermarks].filter(([field]) => !advanced.has(field)).map(([, w]) => unchanged(w));
      out.push({ ...b, watermarks: [...b.watermarks, ...checks], firstKafkaOffset: u.firstKafkaOffset });
    }
    for (const [shardPartition, u] of this.partitions) {
      if (seen.has(shardPartition)) continue;
      out.push({
        shardPartition,
        watermarks: [...u.watermarks.values()].map(unchanged),
        windows: [],
        newSeries: [],
        sampleCount: 0,
        firstKafkaOffset: u.firstKafkaOffset,
        commitKafkaOffset: u.commitKafkaOffset,
        // No windows: nothing to judge against closed windows.
        closedThrough: [],
        late: [],
      });
    }
    return out;
  }

  /** Records `batches` (in order) as applied but unconfirmed. */
  add(batches: readonly PartitionBatch[]): void {
    for (const b of batches) {
      let u = this.partitions.get(b.shardPartition);
      if (u === undefined) {
        u = { firstKafkaOffset: b.firstKafkaOffset, commitKafkaOffset: b.commitKafkaOffset, watermarks: new Map(), newSeries: [], sampleCount: 0 };
        this.partitions.set(b.shardPartition, u);
      }
      u.commitKafkaOffset = b.commitKafkaOffset;
      for (const w of b.watermarks) u.watermarks.set(watermarkField(w), w);
      u.newSeries = u.newSeries.concat(b.newSeries);
      u.sampleCount += b.sampleCount;
    }
  }

  delete(shardPartition: number): void {
    this.partitions.delete(shardPartition);
  }

  clear(): void {
    this.partitions.clear();
  }
}

function unchanged(w: WatermarkAdvance): WatermarkAdvance {
  return { ...w, expected: w.next };
}
