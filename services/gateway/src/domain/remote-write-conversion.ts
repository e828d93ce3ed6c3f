import type { Candidate, Conversion, ConversionRejection } from './candidate.ts';
import { describeSeries } from './candidate.ts';

/** A decoded remote-write `WriteRequest` (protobufjs output; int64 as number or Long-like). */
export interface WriteRequestMessage {
  readonly timeseries?: readonly {
    readonly labels?: readonly { readonly name?: string; readonly value?: string }[];
    readonly samples?: readonly { readonly value?: number; readonly timestamp?: number | LongLike }[];
    readonly histograms?: readonly unknown[];
  }[];
}

/** What protobufjs gives for an int64 when `long` is installed. */
export interface LongLike {
  toNumber(): number;
}

const NAME_LABEL = '__name__';

// Prometheus' stale marker: a NaN with this exact bit pattern (value.StaleNaN).
const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** True for Prometheus' stale-marker NaN (`0x7ff0000000000002`), false for any other value, other NaNs included. */
export function isStaleMarker(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  f64[0] = value;
  return u32[1] === STALE_HI && u32[0] === STALE_LO;
}

export function int64ToNumber(v: number | LongLike | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * Turns a remote-write request into candidate samples: `__name__` becomes the
 * name, the other labels stay labels, each sample keeps its timestamp. Stale
 * markers are counted and dropped. A series with a label name twice, or with
 * native histograms, is rejected here (the validator cannot see either).
 */
export function convertWriteRequest(request: WriteRequestMessage): Conversion {
  const candidates: Candidate[] = [];
  const rejected: ConversionRejection[] = [];
  let stale = 0;
  let point = 0;
  for (const ts of request.timeseries ?? []) {
    const labels: Record<string, string> = {};
    let name: string | undefined;
    let duplicate: string | undefined;
    for (const l of ts.labels ?? []) {
      const labelName = l.name ?? '';
      const value = l.value ?? '';
      if (labelName === NAME_LABEL) {
        if (name !== undefined) duplicate = NAME_LABEL;
        name = value;
      } else {
        if (Object.hasOwn(labels, labelName)) duplicate = labelName;
        labels[labelName] = value;
      }
    }
    const histograms = ts.histograms?.length ?? 0;
    if (histograms > 0) {
      rejected.push({
        rejection: { code: 'UNSUPPORTED_TYPE', reason: `${describeSeries(name, labels)}: ${histograms} native histogram samples, which remote write 1.0 does not carry and Ringtail does not store`, sampleIndex: point },
        point,
        input: { name, labels, histograms },
      });
      point += histograms;
    }
    for (const s of ts.samples ?? []) {
      const value = s.value ?? 0;
      const timestamp = int64ToNumber(s.timestamp);
      if (isStaleMarker(value)) {
        stale += 1;
      } else if (duplicate !== undefined) {
        rejected.push({
          rejection: { code: 'INVALID_LABEL_NAME', reason: `${describeSeries(name, labels)}: label ${JSON.stringify(duplicate)} appears twice`, sampleIndex: point },
          point,
          input: { name, labels, value, timestamp },
        });
      } else {
        candidates.push({ name, labels, value, timestamp, point });
      }
      point += 1;
    }
  }
  return { candidates, rejected, stale };
}
