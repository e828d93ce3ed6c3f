import { windowClosesAtMs, windowStartMs, type Resolution } from './windows.ts';

/** What decides whether a sample is too old or too new to keep. */
export interface SampleAgePolicy {
  /** The windows samples are written to (the `RESOLUTIONS` setting, with `MAX_SAMPLE_LATENESS`), finest first. */
  readonly resolutions: readonly Resolution[];
  /** How far past its Kafka record's timestamp a sample may lie (`MAX_SAMPLE_FUTURE_MS`). */
  readonly maxFutureMs: number;
}

/** The environment variables named in age rejections. */
export const SAMPLE_AGE_ENV_KEYS = { maxFutureMs: 'MAX_SAMPLE_FUTURE_MS', resolutions: 'RESOLUTIONS', lateness: 'MAX_SAMPLE_LATENESS' } as const;

export type SampleAgeVerdict =
  | {
      readonly ok: true;
      /** Bit r set: resolution r's window of the sample is closed, so the sample is not written to it. 0 almost always. */
      readonly expiredMask: number;
    }
  | { readonly ok: false; readonly code: 'TIMESTAMP_TOO_OLD' | 'TIMESTAMP_TOO_NEW'; readonly reason: string };

const KEEP_ALL: SampleAgeVerdict = { ok: true, expiredMask: 0 };

/**
 * Judges a sample's timestamp against the timestamp of the Kafka record that
 * carried it — never the wall clock, so reading the same record again (a
 * replay, a restart) always gives the same verdict:
 *
 * - more than `maxFutureMs` after the record: rejected, TIMESTAMP_TOO_NEW;
 * - its window already closed (its end plus the allowed lateness, never
 *   beyond retention: `windowClosesAtMs`), as of the record's time, in every
 *   resolution: rejected, TIMESTAMP_TOO_OLD;
 * - closed in some resolutions only: accepted, and `expiredMask` names
 *   the resolutions it is not written to (the coarser ones still keep it).
 *
 * This is the one lateness rule: the shard worker applies the same one against
 * its slot's clock (see services/shard/README.md, "Closing windows").
 *
 * A record without a timestamp (`recordTimestampMs` negative or not finite,
 * Kafka's -1) gives no reference: the sample is kept in every resolution.
 * At most 31 resolutions (the mask is a 32-bit integer). Pure.
 */
export function judgeSampleAge(timestampMs: number, recordTimestampMs: number, policy: SampleAgePolicy): SampleAgeVerdict {
  if (!Number.isFinite(recordTimestampMs) || recordTimestampMs < 0) return KEEP_ALL;
  const aheadMs = timestampMs - recordTimestampMs;
  if (aheadMs > policy.maxFutureMs) {
    return {
      ok: false,
      code: 'TIMESTAMP_TOO_NEW',
      reason: `timestamp is ${aheadMs} ms after its Kafka record's, over ${SAMPLE_AGE_ENV_KEYS.maxFutureMs}=${policy.maxFutureMs}`,
    };
  }
  let expiredMask = 0;
  const { resolutions } = policy;
  for (let r = 0; r < resolutions.length; r++) {
    const resolution = resolutions[r]!;
    if (windowClosesAtMs(windowStartMs(timestampMs, resolution.stepMs), resolution) <= recordTimestampMs) expiredMask |= 1 << r;
  }
  if (expiredMask === 0) return KEEP_ALL;
  if (expiredMask === 2 ** resolutions.length - 1) {
    return {
      ok: false,
      code: 'TIMESTAMP_TOO_OLD',
      reason: `timestamp is ${-aheadMs} ms before its Kafka record's: every resolution's window of it is closed (${lateSummary(resolutions)}; ${SAMPLE_AGE_ENV_KEYS.lateness}, ${SAMPLE_AGE_ENV_KEYS.resolutions})`,
    };
  }
  return { ok: true, expiredMask };
}

/** `10s closes 5m after its end, 1m 10m …` in ms, for rejection reasons. */
export function lateSummary(resolutions: readonly Resolution[]): string {
  return resolutions.map((r) => `${r.name} closes ${windowClosesAtMs(0, r) - r.stepMs} ms after its end`).join(', ');
}
