import type { Resolution } from '@ringtail/model';
import { evaluate, parsePromql, QueryLimitError, QueryTimeoutError, typeOf, UnsupportedPromqlError, type Expr, type Labels, type VectorSelector } from '@ringtail/promql';
import { durationParam, requiredParam, timeParam } from './api-params.ts';
import { BadParameterError, NotFoundError } from './errors.ts';
import { instantData, rangeData } from './result-json.ts';
import type { RedisWindowSource } from '@ringtail/promql';

/** What a query may read and how long it may run (services/query/README.md: QUERY_* variables). */
export interface QueryLimits {
  readonly resolutions: readonly Resolution[];
  readonly maxSeries: number;
  readonly maxWindows: number;
  readonly maxPointsPerSeries: number;
  readonly timeoutMs: number;
  readonly lookbackMs: number;
}

export interface QueryApiOptions extends QueryLimits {
  /** Wall clock, ms (default time of a query, resolution retention). */
  readonly nowMs: () => number;
  /** Monotonic clock, ms (deadlines). */
  readonly monotonicMs: () => number;
  readonly version: string;
}

/** The paths served, as Prometheus names them. */
export const API_PATHS = {
  query: '/api/v1/query',
  queryRange: '/api/v1/query_range',
  labels: '/api/v1/labels',
  series: '/api/v1/series',
  metadata: '/api/v1/metadata',
  buildinfo: '/api/v1/status/buildinfo',
  exemplars: '/api/v1/query_exemplars',
} as const;
const LABEL_VALUES = /^\/api\/v1\/label\/([^/]+)\/values$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Prometheus' HTTP query API over a RedisWindowSource: each method takes the
 * request's parameters and returns the `data` of a success answer, or throws
 * an error of the catalogues (errors.ts, @ringtail/promql) that the route
 * answers with Prometheus' error shape.
 */
export class PrometheusApi {
  constructor(
    private readonly source: RedisWindowSource,
    private readonly opts: QueryApiOptions,
  ) {}

  /** `data` for `path`, or NotFoundError. */
  async answer(path: string, params: URLSearchParams): Promise<unknown> {
    switch (path) {
      case API_PATHS.query:
        return this.instantQuery(params);
      case API_PATHS.queryRange:
        return this.rangeQuery(params);
      case API_PATHS.labels:
        return this.labelNames(params);
      case API_PATHS.series:
        return this.series(params);
      case API_PATHS.metadata:
        // Ringtail stores no metric type, help or unit: Prometheus' answer for metrics it knows nothing about.
        return {};
      case API_PATHS.exemplars:
        return [];
      case API_PATHS.buildinfo:
        return { version: this.opts.version, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '', application: 'ringtail' };
    }
    const values = LABEL_VALUES.exec(path);
    if (values) return this.labelValues(decodeURIComponent(values[1]!), params);
    throw new NotFoundError(`no API endpoint ${path}`);
  }

  private parse(params: URLSearchParams): Expr {
    const text = requiredParam(params, 'query');
    try {
      return parsePromql(text);
    } catch (err) {
      if (err instanceof UnsupportedPromqlError) throw err;
      throw new BadParameterError('query', (err as Error).message, { cause: err });
    }
  }

  private deadline(params: URLSearchParams): () => void {
    const requested = durationParam(params, 'timeout');
    const timeoutMs = requested !== undefined && requested > 0 ? Math.min(requested, this.opts.timeoutMs) : this.opts.timeoutMs;
    const setting = requested !== undefined && requested < this.opts.timeoutMs ? 'timeout' : 'QUERY_TIMEOUT_MS';
    const endMs = this.opts.monotonicMs() + timeoutMs;
    return () => {
      if (this.opts.monotonicMs() > endMs) throw new QueryTimeoutError(timeoutMs, setting);
    };
  }

  private limits() {
    return { maxSeries: this.opts.maxSeries, maxWindows: this.opts.maxWindows, lookbackMs: this.opts.lookbackMs };
  }

  private async instantQuery(params: URLSearchParams): Promise<unknown> {
    const expr = this.parse(params);
    const timeMs = timeParam(params, 'time', this.opts.nowMs());
    const checkDeadline = this.deadline(params);
    const result = await evaluate(this.source, { expr, startMs: timeMs, endMs: timeMs, stepMs: 0, nowMs: this.opts.nowMs(), resolutions: this.opts.resolutions, limits: this.limits(), checkDeadline });
    return instantData(result, timeMs);
  }

  private async rangeQuery(params: URLSearchParams): Promise<unknown> {
    const startMs = timeParam(params, 'start');
    const endMs = timeParam(params, 'end');
    if (endMs < startMs) throw new BadParameterError('end', 'end timestamp must not be before start time');
    const stepMs = durationParam(params, 'step');
    if (stepMs === undefined) throw new BadParameterError('step', 'cannot parse "" to a valid duration');
    if (stepMs <= 0) throw new BadParameterError('step', 'zero or negative query resolution step widths are not accepted. Try a positive integer');
    const points = Math.floor((endMs - startMs) / stepMs) + 1;
    if (points > this.opts.maxPointsPerSeries) {
      throw new QueryLimitError(
        `exceeded maximum resolution of ${this.opts.maxPointsPerSeries.toLocaleString('en-US')} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        'QUERY_MAX_POINTS_PER_SERIES',
        'bad_data',
      );
    }
    const expr = this.parse(params);
    const type = typeOf(expr);
    if (type !== 'scalar' && type !== 'vector') {
      throw new BadParameterError('query', `invalid expression type "${type === 'matrix' ? 'range vector' : type}" for range query, must be Scalar or instant Vector`);
    }
    const checkDeadline = this.deadline(params);
    const result = await evaluate(this.source, { expr, startMs, endMs, stepMs, nowMs: this.opts.nowMs(), resolutions: this.opts.resolutions, limits: this.limits(), checkDeadline });
    return rangeData(result);
  }

  /** The series the `match[]` selectors select (all series when there is none and `required` is false). */
  private async matchedSeries(params: URLSearchParams, required: boolean): Promise<Labels[]> {
    const matches = params.getAll('match[]');
    if (matches.length === 0) {
      if (required) throw new BadParameterError('match[]', 'no match[] parameter provided');
      return (await this.source.series([{ name: '__name__', op: '=~', value: '.+' }])).map((s) => s.labels);
    }
    const selectors = matches.map((text) => {
      let expr: Expr;
      try {
        expr = parsePromql(text);
      } catch (err) {
        throw new BadParameterError('match[]', (err as Error).message, { cause: err });
      }
      if (expr.kind !== 'vector') throw new BadParameterError('match[]', `${JSON.stringify(text)} is not a series selector`);
      return expr satisfies VectorSelector;
    });
    const byKey = new Map<string, Labels>();
    for (const selector of selectors) {
      const found = await this.source.series(selector.matchers);
      if (byKey.size + found.length > this.opts.maxSeries) {
        throw new QueryLimitError(`the selectors match more than ${this.opts.maxSeries} series`, 'QUERY_MAX_SERIES');
      }
      for (const s of found) byKey.set(s.id, s.labels);
    }
    return [...byKey.values()];
  }

  // Ringtail's series index holds no times: start and end are accepted and every indexed series is answered.
  private async series(params: URLSearchParams): Promise<Labels[]> {
    this.checkRange(params);
    return this.matchedSeries(params, true);
  }

  private async labelNames(params: URLSearchParams): Promise<string[]> {
    this.checkRange(params);
    const names = new Set<string>();
    for (const labels of await this.matchedSeries(params, false)) for (const name of Object.keys(labels)) names.add(name);
    return [...names].sort();
  }

  private async labelValues(name: string, params: URLSearchParams): Promise<string[]> {
    if (!LABEL_NAME.test(name)) throw new BadParameterError('label', `invalid label name: ${JSON.stringify(name)}`);
    this.checkRange(params);
    if (name === '__name__' && params.getAll('match[]').length === 0) return this.source.metricNames();
    const values = new Set<string>();
    for (const labels of await this.matchedSeries(params, false)) {
      const v = labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  private checkRange(params: URLSearchParams): void {
    if (params.has('start')) timeParam(params, 'start');
    if (params.has('end')) timeParam(params, 'end');
  }
}
