import type { AlertKind, AlertRecord } from '@ringtail/model';

/** The id of an alert within the alerter: unique across rules, kinds and keys. */
export function alertId(rule: string, kind: AlertKind, keyText: string): string {
  return `${rule}\u001f${kind}\u001f${keyText}`;
}

export function idOf(a: AlertRecord): string {
  return alertId(a.rule, a.kind, a.keyText);
}

/** How long a resolved alert stays visible (and notifiable) before it is forgotten, as in Prometheus. */
export const RESOLVED_RETENTION_MS = 15 * 60 * 1000;

export interface StepInput {
  readonly condition: boolean;
  readonly nowMs: number;
  readonly forMs: number;
  readonly keepFiringForMs: number;
}

/** The lifecycle fields of the next state; labels and value are filled in by the caller. */
export type Lifecycle = Pick<AlertRecord, 'state' | 'activeAtMs' | 'firedAtMs' | 'resolvedAtMs' | 'keepFiringSinceMs'>;

/**
 * One evaluation step of one alert, with Prometheus' semantics: a true
 * condition makes a new alert pending (firing at once when `for` is 0) and a
 * pending one firing once it has been active for `for`; a false condition
 * drops a pending alert, and resolves a firing one once it has been false for
 * `keep_firing_for`. Returns null when the alert ceases to exist.
 */
export function step(prev: Lifecycle | undefined, s: StepInput): Lifecycle | null {
  const { condition, nowMs } = s;
  const live = prev && prev.state !== 'resolved' ? prev : undefined;
  if (condition) {
    if (!live) {
      const firing = s.forMs === 0;
      return { state: firing ? 'firing' : 'pending', activeAtMs: nowMs, firedAtMs: firing ? nowMs : null, resolvedAtMs: null, keepFiringSinceMs: null };
    }
    if (live.state === 'pending') {
      if (nowMs - live.activeAtMs >= s.forMs) return { ...live, state: 'firing', firedAtMs: nowMs };
      return live;
    }
    return live.keepFiringSinceMs === null ? live : { ...live, keepFiringSinceMs: null };
  }
  if (!live) {
    if (prev && nowMs - (prev.resolvedAtMs ?? nowMs) < RESOLVED_RETENTION_MS) return prev;
    return null;
  }
  if (live.state === 'pending') return null;
  if (s.keepFiringForMs > 0) {
    const since = live.keepFiringSinceMs ?? nowMs;
    if (nowMs - since < s.keepFiringForMs) return since === live.keepFiringSinceMs ? live : { ...live, keepFiringSinceMs: since };
  }
  return { ...live, state: 'resolved', resolvedAtMs: nowMs, keepFiringSinceMs: null };
}

/**
 * The instant (epoch ms) at which `step` changes `a` with the condition
 * unchanged: a pending alert's `for` running out (condition still true), a
 * firing one's `keep_firing_for` running out (condition still false). Null
 * when no such instant exists. The alerter sets a timer to it, so these fire
 * at their deadline rather than at the next evaluation.
 */
export function deadlineMs(a: Lifecycle, forMs: number, keepFiringForMs: number): number | null {
  if (a.state === 'pending') return a.activeAtMs + forMs;
  if (a.state === 'firing' && a.keepFiringSinceMs !== null) return a.keepFiringSinceMs + keepFiringForMs;
  return null;
}
