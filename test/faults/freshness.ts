/**
 * The pipeline's lag, measured from outside: one heartbeat series per slot,
 * each sent with every produce tick (value = tick number). A slot's lag is how
 * long ago the oldest heartbeat it has not yet made visible in Redis was
 * produced; the pipeline's lag is the largest over the slots. It needs no
 * service metric, so it survives every crash and restart it measures.
 */
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { RawSample } from '@ringtail/loadgen';
import { DEFAULT_RESOLUTIONS, slotOfSeriesId, type RedisKeys } from '@ringtail/model';
import { readWindow } from '@ringtail/query';

const HOUR = DEFAULT_RESOLUTIONS.find((r) => r.name === '1h')!;
/** The finest resolution: written by every flush (the coarse ones lag by up to COARSE_FLUSH_INTERVAL_MS). */
const FINEST = DEFAULT_RESOLUTIONS[0]!;
/** Finest windows looked at, newest first, before falling back to the 1h windows (a lag longer than this). */
const FINEST_WINDOWS_BACK = 12;
const HEARTBEAT_METRIC = 'fault_heartbeat';

interface Heartbeat {
  readonly labels: Record<string, string>;
  readonly seriesId: string;
  readonly slot: number;
}

export class Freshness {
  private readonly beats: Heartbeat[];
  /** performance.now() at which tick i was sent (index = tick). */
  private readonly sentAt: number[] = [];
  private readonly visible: number[];
  private ackedTicks = 0;
  /** Each poll since `startRecording`: when it finished, the oldest slot's newest visible tick, the lag. */
  private history: { atMs: number; minVisible: number; lagMs: number }[] | null = null;

  constructor(
    seriesIdOf: (s: RawSample) => string,
    slots: number,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    // Search label values until every slot has a heartbeat series of its own.
    const bySlot = new Map<number, Heartbeat>();
    for (let k = 0; bySlot.size < slots; k++) {
      const labels = { beat: String(k) };
      const seriesId = seriesIdOf({ name: HEARTBEAT_METRIC, labels, value: 0, timestamp: 0 });
      const slot = slotOfSeriesId(seriesId, slots);
      if (!bySlot.has(slot)) bySlot.set(slot, { labels, seriesId, slot });
    }
    this.beats = [...bySlot.values()];
    this.visible = this.beats.map(() => -1);
  }

  /** The heartbeats of the next tick (timestamp `nowMs`); call `acked` once Kafka took them. */
  nextTick(nowMs: number): { tick: number; samples: RawSample[] } {
    const tick = this.sentAt.length;
    this.sentAt.push(performance.now());
    return { tick, samples: this.beats.map((b) => ({ name: HEARTBEAT_METRIC, labels: b.labels, value: tick, timestamp: nowMs })) };
  }

  acked(tick: number): void {
    this.ackedTicks = Math.max(this.ackedTicks, tick + 1);
  }

  /**
   * Starts recording every poll's outcome, so a recovery that happened while a
   * fault's action was still running (the old primary being restarted, say) is
   * dated when it happened; `stopRecording` ends it.
   */
  startRecording(): void {
    this.history = [];
  }

  stopRecording(): void {
    this.history = null;
  }

  /**
   * When the pipeline last caught up since `atMs` and stayed so up to the
   * latest poll (every slot shows a heartbeat sent at or after `atMs`, lag
   * under `lagMs`): the first poll of that unbroken run. Null while it lags
   * now or nothing was recorded. A lag that came back after an early recovery
   * (a resynchronising replica, say) restarts the run, so it is counted.
   */
  caughtUpFrom(atMs: number, lagMs: number): number | null {
    if (this.history === null || !this.caughtUpSince(atMs, lagMs)) return null;
    const firstAfter = this.sentAt.findIndex((t) => t >= atMs);
    let from: number | null = null;
    for (let i = this.history.length - 1; i >= 0; i--) {
      const h = this.history[i]!;
      if (h.atMs < atMs || h.minVisible < firstAfter || h.lagMs >= lagMs) break;
      from = h.atMs;
    }
    return from ?? performance.now();
  }

  /**
   * Reads every heartbeat's newest visible tick: from the newest finest window that holds one
   * (looking back FINEST_WINDOWS_BACK windows), else from the 1h windows (this hour and the last).
   */
  async poll(): Promise<void> {
    await this.read();
    this.history?.push({ atMs: performance.now(), minVisible: Math.min(...this.visible), lagMs: this.lagMs() });
  }

  private async read(): Promise<void> {
    const now = Date.now();
    const hour = Math.floor(now / HOUR.stepMs) * HOUR.stepMs;
    const finest = Math.floor(now / FINEST.stepMs) * FINEST.stepMs;
    await Promise.all(
      this.beats.map(async (b, i) => {
        for (let back = 0; back < FINEST_WINDOWS_BACK; back++) {
          const w = await readWindow(this.redis, this.keys, b.seriesId, FINEST, finest - back * FINEST.stepMs);
          if (w !== null) {
            this.visible[i] = Math.max(this.visible[i]!, w.last);
            return;
          }
        }
        for (const start of [hour, hour - HOUR.stepMs]) {
          const w = await readWindow(this.redis, this.keys, b.seriesId, HOUR, start);
          if (w !== null) {
            this.visible[i] = Math.max(this.visible[i]!, w.last);
            return;
          }
        }
      }),
    );
  }

  /**
   * Caught up since `atMs` (performance.now()): every slot shows a heartbeat
   * sent at or after `atMs`, and the lag is under `lagMs`. A fault whose effect
   * has not shown yet (a killed primary before Sentinel notices) is not
   * mistaken for a quick recovery.
   */
  caughtUpSince(atMs: number, lagMs: number): boolean {
    const firstAfter = this.sentAt.findIndex((t) => t >= atMs);
    if (firstAfter < 0 || firstAfter >= this.ackedTicks) return false;
    return Math.min(...this.visible) >= firstAfter && this.lagMs() < lagMs;
  }

  /** Where the lag is: the slots whose heartbeats lag most, with how many acknowledged ticks each has not shown yet. */
  laggards(count = 3): { slot: number; behindTicks: number }[] {
    return this.beats
      .map((b, i) => ({ slot: b.slot, behindTicks: this.ackedTicks - 1 - this.visible[i]! }))
      .filter((l) => l.behindTicks > 0)
      .sort((a, b) => b.behindTicks - a.behindTicks)
      .slice(0, count);
  }

  /** ms since the oldest acknowledged heartbeat not yet visible was sent; 0 when all are visible. */
  lagMs(): number {
    const oldestUnseen = Math.min(...this.visible) + 1;
    if (oldestUnseen >= this.ackedTicks) return 0;
    return performance.now() - this.sentAt[oldestUnseen]!;
  }
}
