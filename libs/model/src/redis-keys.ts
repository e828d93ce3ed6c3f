/**
 * Redis key names: built here and nowhere else.
 *
 * Every key of a namespace carries the same hash tag `{rt:<namespace>}`,
 * because one flush script touches window keys, index keys and a watermark
 * together and Redis Cluster only runs a script whose keys share a slot. The
 * trade-off: under Redis Cluster a whole namespace lives in one slot, so it
 * scales out by namespace, not by series.
 */
export interface RedisKeys {
  /** `{rt:<ns>}:`, the prefix of every key of the namespace. */
  readonly prefix: string;
  /** Hash of one window: fields in `WINDOW_FIELDS`. */
  window(seriesId: string, resolution: string, startMs: number): string;
  /** Hash of highest applied raw offsets of one shard-topic partition: field = raw partition. */
  watermarks(shardTopic: string, shardPartition: number): string;
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

export function redisKeys(namespace: string): RedisKeys {
  const prefix = `{rt:${namespace}}:`;
  return {
    prefix,
    window: (id, resolution, startMs) => `${prefix}w:${resolution}:${id}:${startMs}`,
    watermarks: (topic, partition) => `${prefix}wm:${topic}:${partition}`,
    metricNames: `${prefix}metrics`,
    seriesOfMetric: (name) => `${prefix}m:${name}`,
    // Label names cannot contain '=', so name=value is unambiguous.
    seriesOfLabel: (name, value) => `${prefix}l:${name}=${value}`,
    series: (id) => `${prefix}s:${id}`,
    ringMembers: `${prefix}ring:members`,
    ringRebalances: `${prefix}ring:rebalances`,
  };
}
