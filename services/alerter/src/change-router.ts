import type { Redis } from 'ioredis';
import type { RedisKeys } from '@ringtail/model';
import { seriesByIds, SeriesCache } from '@ringtail/query';
import { RuleIndex } from './domain/rule-index.ts';
import type { RuleSet } from './domain/rule.ts';

/** Series descriptions remembered for announcements (a series hash never changes once written). */
const MAX_CACHED_SERIES = 1_000_000;

/**
 * Turns announced series ids into the names of the rules they concern: the
 * series' names and labels from the series hashes (cached), then the rule
 * index of the current rule set (rebuilt when the rule file is reloaded).
 */
export class ChangeRouter {
  private readonly cache = new SeriesCache(MAX_CACHED_SERIES);
  private indexed: { readonly ruleSet: RuleSet; readonly index: RuleIndex } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly rules: () => RuleSet,
  ) {}

  /** Names of the rules whose selectors match any of `seriesIds`; ids without a series hash are skipped. */
  async rulesOf(seriesIds: Iterable<string>): Promise<Set<string>> {
    const series = await seriesByIds(this.redis, this.keys, [...seriesIds], this.cache);
    return this.index().ruleNamesMatching(series);
  }

  private index(): RuleIndex {
    const ruleSet = this.rules();
    if (this.indexed?.ruleSet !== ruleSet) this.indexed = { ruleSet, index: new RuleIndex(ruleSet.rules) };
    return this.indexed.index;
  }
}
