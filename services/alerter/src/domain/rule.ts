import type { Selector } from './selector.ts';
import type { Template } from './template.ts';

export const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'last', 'rate', 'increase'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const COMPARISONS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

/**
 * What a rule does when its selector yields no data for an alert key:
 * `ok` treats it as the condition being false, `alerting` as true, `nodata`
 * resolves the data alert and fires a separate `nodata="true"` alert, `keep`
 * leaves the alert exactly as it was.
 */
export const NO_DATA_POLICIES = ['ok', 'alerting', 'nodata', 'keep'] as const;
export type NoDataPolicy = (typeof NO_DATA_POLICIES)[number];

/** One threshold rule, validated and compiled. */
export interface Rule {
  /** The `alertname` label; unique within a rule file. */
  readonly name: string;
  readonly selector: Selector;
  readonly aggregation: Aggregation;
  readonly windowMs: number;
  /** Aggregate across series sharing these labels; null: one alert per series. */
  readonly by: readonly string[] | null;
  readonly op: Comparison;
  readonly threshold: number;
  /** Hysteresis: a firing alert stays firing while the value still compares true against this. */
  readonly resolveThreshold: number | null;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly noData: NoDataPolicy;
  readonly receiver: string;
  readonly labels: Readonly<Record<string, Template>>;
  readonly annotations: Readonly<Record<string, Template>>;
  /** The rule as written, for the API. */
  readonly source: RuleSource;
}

export interface RuleSource {
  readonly selector: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Where and how notifications of a receiver are sent and grouped. */
export interface Receiver {
  readonly name: string;
  readonly url: string;
  /** Standard Webhooks secrets (`whsec_<base64>`); each signs, so a receiver can rotate. */
  readonly secrets: readonly string[];
  /** Notification grouping labels; `'all'` (written `['...']`) groups by every label. */
  readonly groupBy: readonly string[] | 'all';
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly sendResolved: boolean;
  readonly maxAttempts: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly timeoutMs: number;
}

export interface RuleSet {
  readonly file: string;
  readonly rules: readonly Rule[];
  readonly receivers: ReadonlyMap<string, Receiver>;
}

/** True when `value op threshold`. NaN never compares true. */
export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}
