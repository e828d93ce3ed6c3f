import type { Redis } from 'ioredis';
import { SERIES_FIELDS, type RedisKeys } from '@ringtail/model';
import { labelPredicate, type Selector } from './selector.ts';

export interface SeriesInfo {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Series matching `selector`, sorted by id. Equality matchers with a non-empty
 * value narrow the candidates in Redis (SINTER of index sets); every matcher is
 * then checked against the stored labels.
 */
export async function findSeries(redis: Redis, keys: RedisKeys, selector: Selector): Promise<SeriesInfo[]> {
  const sets = [
    keys.seriesOfMetric(selector.metric),
    ...selector.matchers.filter((m) => m.op === '=' && m.value !== '').map((m) => keys.seriesOfLabel(m.name, m.value)),
  ];
  const ids = (await redis.sinter(...sets)).sort();
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(keys.series(id), SERIES_FIELDS.name, SERIES_FIELDS.labels);
  const replies = (await pipeline.exec()) ?? [];
  const matches = labelPredicate(selector.matchers);
  const out: SeriesInfo[] = [];
  replies.forEach(([err, reply], i) => {
    if (err) throw err;
    const [name, labelsJson] = reply as (string | null)[];
    if (name == null || labelsJson == null) return;
    const labels = JSON.parse(labelsJson) as Record<string, string>;
    if (matches(labels)) out.push({ id: ids[i]!, name, labels });
  });
  return out;
}
