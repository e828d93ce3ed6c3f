import { DEFAULT_SHARD_SLOTS, slotOfSeriesId } from './slots.ts';

/**
 * Redis key names: built here and nowhere else.
 *
 * The keys one flush touches (a slot's windows and its watermarks) share the
 * slot's hash tag `{rt:<namespace>:<slot>}`, so under Redis Cluster the
 * shard topic's slots spread over the cluster's nodes, one flush script per
 * slot. The series index and descriptions are shared by all slots and carry
 * the namespace's tag `{rt:<namespace>}`; flushes add to them outside the
 * script (SADD and HSET are idempotent). A reader finds a series' windows from
 * its id alone: the slot is a function of the id (see slots.ts).
 */
export interface RedisKeys {
  /** `{rt:<ns>}:`, the prefix of the namespace-wide keys (index, descriptions, ring status). */
  readonly prefix: string;
  /** A SCAN MATCH pattern for every key of the namespace, per-slot keys included. */
  readonly scanPattern: string;
  /** Slots the keys were built for (SHARD_SLOTS): readers and writers must agree. */
  readonly slotCount: number;
  /** Hash of one window: fields in `WINDOW_FIELDS`; carries the series' slot's hash tag. */
  window(seriesId: string, resolution: string, startMs: number): string;
  /** Hash of highest applied raw offsets of one slot: field = raw partition. */
  watermarks(slot: number): string;
  /** Set of every metric name seen. */
  readonly metricNames: string;
  /** Set of series ids of one metric name. */
  seriesOfMetric(metricName: string): string;
  /** Set of series ids having label `name` = `value`. */
  seriesOfLabel(labelName: string, labelValue: string): string;
  /** Hash of one series: `name` and `labels` (JSON object). */
  series(seriesId: string): string;
  /** Hash of shard group members' own status: field = Kafka member id, value = JSON (see @ringtail/ring-status). */
  readonly ringMembers: string;
  /** List of the shard group's latest rebalances, newest first, JSON each (capped). */
  readonly ringRebalances: string;
}

/** Field names of the series hash. */
export const SERIES_FIELDS = { name: 'name', labels: 'labels' } as const;

/** The keys of `namespace` for a deployment of `slotCount` slots (SHARD_SLOTS). */
export function redisKeys(namespace: string, slotCount = DEFAULT_SHARD_SLOTS): RedisKeys {
  const prefix = `{rt:${namespace}}:`;
  const slotPrefix = (slot: number) => `{rt:${namespace}:${slot}}:`;
  return {
    prefix,
    // `{rt:<ns>}:` and `{rt:<ns>:<slot>}:`, never another namespace that merely starts the same.
    scanPattern: `{rt:${namespace}[}:]*`,
    slotCount,
    window: (id, resolution, startMs) => `${slotPrefix(slotOfSeriesId(id, slotCount))}w:${resolution}:${id}:${startMs}`,
    watermarks: (slot) => `${slotPrefix(slot)}wm`,
    metricNames: `${prefix}metrics`,
    seriesOfMetric: (name) => `${prefix}m:${name}`,
    // Label names cannot contain '=', so name=value is unambiguous.
    seriesOfLabel: (name, value) => `${prefix}l:${name}=${value}`,
    series: (id) => `${prefix}s:${id}`,
    ringMembers: `${prefix}ring:members`,
    ringRebalances: `${prefix}ring:rebalances`,
  };
}
