const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;
const SEPARATOR = 0xff;

/**
 * FNV-1a 64 over labels sorted by name, each name and value followed by a
 * 0xff byte (never valid in UTF-8), as Prometheus fingerprints label sets:
 * 16 hex digits, identical in every process for the same label set.
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const encoder = new TextEncoder();
  let h = FNV_OFFSET;
  const eat = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK_64;
    h = ((h ^ BigInt(SEPARATOR)) * FNV_PRIME) & MASK_64;
  };
  for (const name of Object.keys(labels).sort()) {
    eat(encoder.encode(name));
    eat(encoder.encode(labels[name]!));
  }
  return h.toString(16).padStart(16, '0');
}

/** Labels in a canonical text form `{a="1", b="2"}` (sorted), as Alertmanager prints group keys. */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((n) => `${n}=${JSON.stringify(labels[n])}`)
    .join(', ')}}`;
}

/** The labels restricted to `names` (absent ones left out). */
export function pickLabels(labels: Readonly<Record<string, string>>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) if (labels[n] !== undefined) out[n] = labels[n];
  return out;
}
