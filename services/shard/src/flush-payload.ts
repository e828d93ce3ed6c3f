import { CHANGE_STREAM_MAX_LEN, SERIES_FIELDS, windowExpiresAtMs, type RedisKeys } from '@ringtail/model';
import type { WritePlan } from './known-windows.ts';
import type { PartitionBatch } from './flush-batch.ts';
import { watermarkField } from './watermarks.ts';

/**
 * Series index writes of a batch: idempotent, shared by every slot, so written
 * outside the slot's script, in this order: `expiry` (ZADD GT: a score only
 * grows), `hset`, then `sadd` with the metric-name set last. The index janitor
 * removes a series only while its expiry is past, and a metric name only when
 * its series set is empty; writing the expiry first and the name last means it
 * never removes what a concurrent flush is indexing.
 */
export interface IndexWrites {
  /** ZADD arguments (key, GT, score, member, ...), or empty. */
  readonly expiry: readonly string[];
  readonly hset: readonly string[][];
  readonly sadd: readonly string[][];
}

/** The series index entries, descriptions and expiries of the series a batch indexes (`newSeries`). */
export function indexWrites(keys: RedisKeys, batch: PartitionBatch): IndexWrites {
  const sadd: string[][] = [];
  const hset: string[][] = [];
  const expiry: string[] = [];
  for (const s of batch.newSeries) {
    expiry.push(String(s.indexedUntilMs), s.id);
    sadd.push([keys.seriesOfMetric(s.name), s.id]);
    for (const [label, value] of Object.entries(s.labels)) sadd.push([keys.seriesOfLabel(label, value), s.id]);
    hset.push([keys.series(s.id), SERIES_FIELDS.name, s.name, SERIES_FIELDS.labels, JSON.stringify(s.labels)]);
  }
  if (batch.newSeries.length > 0) sadd.push([keys.metricNames, ...new Set(batch.newSeries.map((s) => s.name))]);
  return { expiry: expiry.length === 0 ? [] : [keys.seriesExpiry, 'GT', ...expiry], hset, sadd };
}

/**
 * The JSON argument of flush-2.lua for one slot's batch: watermark advances
 * and window deltas, every key with the slot's hash tag. Doubles and
 * timestamps are decimal strings: the script writes them verbatim, where a Lua
 * number would be formatted lossily; JS's shortest round-trip form makes Redis
 * hold exactly the value that was aggregated. Counts, limb indices and limb
 * deltas are JSON integers, all below 2^53 (FLUSH_MAX_SAMPLES bounds them), so
 * the script's arithmetic on them is exact. `ct` names the closed-through
 * every sample was judged by (the script refuses the batch if one moved),
 * `hk` the hot-window index of each resolution, `t` the batch's raw record time,
 * `ch`/`cm` the slot's change stream and its cap (the alerter follows it), `cs`/`cw`
 * the series and windows its entry lists. `plan` says which windows are known
 * (KnownWindows): those go as `a`, with the version known and the changed fields
 * written outright, and `b` the slot's watermark hash they were known at; the
 * rest as deltas in `w`.
 */
export function flushPayload(keys: RedisKeys, batch: PartitionBatch, plan: WritePlan = mergedPlan(keys, batch)): string {
  const wm = batch.watermarks.map((m) => [watermarkField(m), String(m.expected), String(m.next)]);
  const w = plan.merged.map(({ key, delta: { resolution, startMs, window: a } }) => {
    const row: (string | number)[] = [
      key,
      String(windowExpiresAtMs(startMs, resolution)),
      a.count,
      String(a.min),
      String(a.max),
      String(a.firstTsMs),
      String(a.first),
      String(a.lastTsMs),
      String(a.last),
    ];
    for (const [index, amount] of a.sumLimbs) {
      if (amount !== 0) row.push(index, amount);
    }
    return row;
  });
  const hk: Record<string, string> = {};
  for (const c of batch.closedThrough) hk[c.resolution] = keys.hotWindows(batch.shardPartition, c.resolution);
  for (const d of batch.windows) hk[d.resolution.name] ??= keys.hotWindows(batch.shardPartition, d.resolution.name);
  const ct = batch.closedThrough.map((c) => [c.resolution, c.startMs === null ? '' : String(c.startMs)]);
  const changedSeries = new Set<string>();
  const changedWindows = new Set<string>();
  for (const d of batch.windows) {
    changedSeries.add(d.seriesId);
    changedWindows.add(`${d.resolution.name}:${d.startMs}`);
  }
  const payload: Record<string, unknown> = {
    ko: batch.commitKafkaOffset,
    wm,
    w,
    a: plan.known.map((k) => [k.key, String(k.next.version - 1), ...k.fields]),
    ct,
    hk,
    ch: keys.changes(batch.shardPartition),
    cs: [...changedSeries].join(','),
    cw: [...changedWindows].join(','),
    cm: CHANGE_STREAM_MAX_LEN,
  };
  if (plan.watermarks !== undefined) payload.b = plan.watermarks;
  if (batch.clockMs !== undefined) payload.t = String(batch.clockMs);
  return JSON.stringify(payload);
}

/** Every window of `batch` merged by the script: the plan when nothing is known of the slot. */
export function mergedPlan(keys: RedisKeys, batch: PartitionBatch): WritePlan {
  return { merged: batch.windows.map((delta) => ({ key: keys.window(delta.seriesId, delta.resolution.name, delta.startMs), delta })), known: [] };
}
