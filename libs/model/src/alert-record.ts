/**
 * An alert as the alerter persists it in Redis (hash `alerterKeys(ns).alerts`,
 * alert id → JSON of AlertRecord): written by the alerter, read by anyone who
 * lists alerts (the CLI, the alerter's API).
 */
/** Alert states as in Prometheus; `resolved` alerts are kept a while so their resolution can be notified. */
export type AlertState = 'pending' | 'firing' | 'resolved';

/** `data` alerts follow the rule's condition; `nodata` alerts fire while a key has no data (policy `nodata`). */
export type AlertKind = 'data' | 'nodata';

/**
 * One alert of one rule, as persisted in Redis. Everything needed to resume
 * after a restart is here: `activeAtMs` carries the pending `for` timer and
 * `keepFiringSinceMs` the `keep_firing_for` timer.
 */
export interface AlertRecord {
  readonly rule: string;
  readonly kind: AlertKind;
  /** The key labels (series labels, or the `by` labels) and their canonical text. */
  readonly keyLabels: Readonly<Record<string, string>>;
  readonly keyText: string;
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: AlertState;
  readonly activeAtMs: number;
  readonly firedAtMs: number | null;
  readonly resolvedAtMs: number | null;
  readonly keepFiringSinceMs: number | null;
  /** The value at the last transition (null: no data). */
  readonly value: number | null;
}
