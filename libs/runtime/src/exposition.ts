/** One sample line of a Prometheus text exposition. */
export interface ExpositionSample {
  /** The sample's name, suffix included (`x_bucket`, `x_sum`, `x_count`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const UNESCAPE: Readonly<Record<string, string>> = { '\\': '\\', '"': '"', n: '\n' };

// Case-insensitive, as Prometheus reads them (Go's ParseFloat); prom-client writes NaN as `Nan`.
const SPECIAL: Readonly<Record<string, number>> = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity };

function parseValue(text: string): number {
  const special = SPECIAL[text.toLowerCase()];
  if (special !== undefined) return special;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`not a sample value: '${text}'`);
  return v;
}

function parseLine(line: string): ExpositionSample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error(`not a sample line: '${line}'`);
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    while (line[pos] !== '}') {
      const label = LABEL_NAME.exec(line.slice(pos))?.[0];
      if (!label || line[pos + label.length] !== '=' || line[pos + label.length + 1] !== '"') throw new Error(`bad label at ${pos}: '${line}'`);
      pos += label.length + 2;
      let value = '';
      while (line[pos] !== '"') {
        if (pos >= line.length) throw new Error(`unterminated label value: '${line}'`);
        if (line[pos] === '\\') {
          const c = UNESCAPE[line[pos + 1] ?? ''];
          if (c === undefined) throw new Error(`bad escape at ${pos}: '${line}'`);
          value += c;
          pos += 2;
        } else value += line[pos++];
      }
      labels[label] = value;
      pos++;
      if (line[pos] === ',') pos++;
    }
    pos++;
  }
  // Value, then an optional timestamp.
  const [value] = line.slice(pos).trim().split(/\s+/);
  return { name, labels, value: parseValue(value ?? '') };
}

/**
 * Parses a Prometheus text exposition (format 0.0.4): every sample line with
 * its labels unescaped; comments (`# HELP`, `# TYPE`) and blank lines skipped.
 * Throws on a malformed line rather than guessing.
 */
export function parseExposition(text: string): ExpositionSample[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map(parseLine);
}

/**
 * The value of the sample `name` whose labels include `labels` (all of them,
 * exactly), summed when several samples match (e.g. every partition of a gauge);
 * undefined when none does.
 */
export function metricValue(samples: readonly ExpositionSample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? undefined : matching.reduce((sum, s) => sum + s.value, 0);
}

/**
 * Scrapes the /metrics of a Ringtail process on 127.0.0.1:`port` and parses it;
 * throws unless it answers 200 (within `timeoutMs` when given).
 */
export async function scrapeMetrics(port: number, timeoutMs?: number): Promise<ExpositionSample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET /metrics on port ${port} answered ${res.status}`);
  return parseExposition(await res.text());
}
