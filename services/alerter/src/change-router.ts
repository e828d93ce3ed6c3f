import type { Redis } from 'ioredis';
import type { RedisKeys } from '@ringtail/model';
import { seriesByIds, SeriesCache } from '@ringtail/query';
import { RuleIndex } from './domain/rule-index.ts';
import type { RuleSet } from './domain/rule.ts';

/** Series descriptions remembered for announcements (a series hash never changes once written). */
const MAX_CACHED_SERIES = 1_000_000;
/** Series whose rules are remembered for the current rule set. */
const MAX_ROUTED_SERIES = 1_000_000;

/** The current rule set's index, and the rules each series announced so far matched in it. */
interface Routing {
  readonly ruleSet: RuleSet;
  readonly index: RuleIndex;
  /** Series id → names of the rules whose selectors match it. */
  readonly routes: Map<string, readonly string[]>;
}

/**
 * Turns announced series ids into the names of the rules they concern: the
 * series' names and labels from the series hashes (cached), then the rule
 * index of the current rule set. A series' labels never change, so the rules
 * it matched are remembered until the rule file is reloaded: a series
 * announced again (every flush that writes it) costs one lookup.
 */
export class ChangeRouter {
  private readonly cache = new SeriesCache(MAX_CACHED_SERIES);
  private routing: Routing | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly rules: () => RuleSet,
  ) {}

  /** Names of the rules whose selectors match any of `seriesIds`; ids without a series hash are skipped. */
  async rulesOf(seriesIds: Iterable<string>): Promise<Set<string>> {
    const ids = [...seriesIds];
    const routing = this.current();
    const names = new Set<string>();
    const unrouted: string[] = [];
    for (const id of ids) {
      const routed = routing.routes.get(id);
      if (routed === undefined) unrouted.push(id);
      else for (const name of routed) names.add(name);
    }
    if (unrouted.length === 0) return names;
    const series = await seriesByIds(this.redis, this.keys, unrouted, this.cache);
    // Reloaded meanwhile: what was routed above belongs to the old rule set.
    if (this.current() !== routing) return this.rulesOf(ids);
    if (routing.routes.size + series.length > MAX_ROUTED_SERIES) routing.routes.clear();
    for (const s of series) {
      const matched: string[] = [];
      routing.index.forEachMatch(s.name, s.labels, (rule) => matched.push(rule.name));
      routing.routes.set(s.id, matched);
      for (const name of matched) names.add(name);
    }
    return names;
  }

  private current(): Routing {
    const ruleSet = this.rules();
    if (this.routing?.ruleSet !== ruleSet) this.routing = { ruleSet, index: new RuleIndex(ruleSet.rules), routes: new Map() };
    return this.routing;
  }
}
