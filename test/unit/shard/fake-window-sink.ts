import { cloneWindow, mergeWindow, type WindowAggregate } from '@ringtail/model';
import { ClosedWindowsMovedError, FlushFencedError } from '../../../services/shard/src/errors.ts';
import type { FlushOutcome } from '../../../services/shard/src/flush-script.ts';
import type { StoredSlot, WindowSink } from '../../../services/shard/src/shard-ports.ts';
import type { PartitionBatch } from '../../../services/shard/src/flush-batch.ts';
import type { WatermarkAdvance } from '../../../services/shard/src/watermarks.ts';

interface SinkState {
  readonly windows: Map<string, WindowAggregate>;
  readonly watermarks: Map<string, Map<number, number>>;
  readonly coarseWatermarks: Map<string, Map<number, number>>;
  readonly resumeOffsets: Map<string, string>;
  readonly series: Set<string>;
}

function copyState(s: SinkState): SinkState {
  return {
    windows: new Map([...s.windows].map(([k, w]) => [k, cloneWindow(w)])),
    watermarks: new Map([...s.watermarks].map(([k, m]) => [k, new Map(m)])),
    coarseWatermarks: new Map([...s.coarseWatermarks].map(([k, m]) => [k, new Map(m)])),
    resumeOffsets: new Map(s.resumeOffsets),
    series: new Set(s.series),
  };
}

/** An in-memory WindowSink with the flush script's CAS semantics. */
export class FakeWindowSink implements WindowSink {
  windows = new Map<string, WindowAggregate>();
  watermarks = new Map<string, Map<number, number>>();
  /** Slot → the coarse resolutions' watermarks (flush-2.lua's `c` fields; absent: the finest's). */
  coarseWatermarks = new Map<string, Map<number, number>>();
  /** Slot → the Kafka offset after its last applied batch (flush-2.lua's field `k`). */
  resumeOffsets = new Map<string, string>();
  series = new Set<string>();
  /** Slot → resolution → closed-through, as the closure hash holds it. */
  closedThrough = new Map<string, Map<string, number>>();
  readonly calls: string[] = [];
  /** Errors thrown by the next calls of each operation, in order. */
  readonly failures: { apply: Error[]; awaitReplicas: Error[] } = { apply: [], awaitReplicas: [] };
  /** While set, `apply` waits for it: a flush held in flight. */
  applyGate: Promise<void> | null = null;
  /** What the replica holds: the state at the last successful awaitReplicas. */
  private replicated: SinkState = copyState(this);

  /** A failover to the replica: every write not yet acknowledged by awaitReplicas is lost. */
  failover(): void {
    Object.assign(this, copyState(this.replicated));
  }

  async readSlot(slot: number): Promise<StoredSlot> {
    const resume = this.resumeOffsets.get(String(slot));
    const fine = new Map(this.watermarks.get(String(slot)));
    const coarseWatermarks = new Map([...fine, ...(this.coarseWatermarks.get(String(slot)) ?? [])]);
    return { watermarks: fine, coarseWatermarks, resumeOffset: resume ?? null, closedThrough: new Map(this.closedThrough.get(String(slot))) };
  }

  async apply(batch: PartitionBatch): Promise<FlushOutcome> {
    this.calls.push(`apply:${batch.shardPartition}`);
    if (this.applyGate) await this.applyGate;
    const failure = this.failures.apply.shift();
    if (failure) throw failure;
    const key = String(batch.shardPartition);
    const stored = this.watermarks.get(key) ?? new Map<number, number>();
    const coarse = this.coarseWatermarks.get(key) ?? new Map<number, number>();
    const at = (w: WatermarkAdvance) => (w.coarse ? (coarse.get(w.rawPartition) ?? stored.get(w.rawPartition)) : stored.get(w.rawPartition)) ?? -1;
    if (!batch.watermarks.every((w) => at(w) === w.expected)) {
      if (batch.watermarks.every((w) => at(w) === w.next)) {
        this.advanceResumeOffset(key, batch.commitKafkaOffset);
        return 'already-applied';
      }
      throw new FlushFencedError(batch.shardPartition);
    }
    const closed = this.closedThrough.get(key) ?? new Map<string, number>();
    if (batch.closedThrough.some((c) => (closed.get(c.resolution) ?? null) !== c.startMs)) throw new ClosedWindowsMovedError(batch.shardPartition);
    for (const w of batch.watermarks) {
      if (w.coarse) {
        coarse.set(w.rawPartition, w.next);
        continue;
      }
      if (!coarse.has(w.rawPartition)) coarse.set(w.rawPartition, stored.get(w.rawPartition) ?? -1);
      stored.set(w.rawPartition, w.next);
    }
    this.watermarks.set(key, stored);
    this.coarseWatermarks.set(key, coarse);
    this.advanceResumeOffset(key, batch.commitKafkaOffset);
    for (const d of batch.windows) {
      const k = windowKey(d.seriesId, d.resolution.name, d.startMs);
      const cur = this.windows.get(k);
      if (cur) mergeWindow(cur, d.window);
      else this.windows.set(k, cloneWindow(d.window));
    }
    for (const s of batch.newSeries) this.series.add(s.id);
    return 'applied';
  }

  private advanceResumeOffset(key: string, offset: string): void {
    if (BigInt(offset) > BigInt(this.resumeOffsets.get(key) ?? '-1')) this.resumeOffsets.set(key, offset);
  }

  async awaitReplicas(): Promise<void> {
    this.calls.push('wait');
    const failure = this.failures.awaitReplicas.shift();
    if (failure) throw failure;
    this.replicated = copyState(this);
  }
}

export function windowKey(seriesId: string, resolution: string, startMs: number): string {
  return `${seriesId}/${resolution}/${startMs}`;
}
