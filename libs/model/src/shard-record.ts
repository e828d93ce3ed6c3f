import { ShardRecordCorruptError } from './errors.ts';

/**
 * The inter-stage record ingest writes to a shard topic.
 *
 * A series always goes to the partition of its slot (slots.ts), so each
 * slot's flush touches its own series' windows and no others. Ingest writes
 * what it reads from raw partition `rp` in raw-offset order into every slot's
 * partition, so the shard keeps one watermark per (slot, raw partition) and
 * skips any sample at or below it: a replay after a crash re-batches freely but
 * never reorders. Each sample carries its own raw offset for that reason.
 */
export interface ShardRecord {
  /** Format version; readers reject other versions. */
  readonly v: 2;
  /** Raw partition every sample in this record came from. */
  readonly rp: number;
  /**
   * Highest Kafka timestamp (ms) of the raw records whose samples this record
   * holds; absent when none had one. Advances the slot's clock, which decides
   * when windows close (see services/shard/README.md, "Closing windows").
   */
  readonly rt?: number;
  /** Series referenced by the samples: index in this array is the sample's first element. */
  readonly series: readonly ShardSeries[];
  /** [series index, value, timestamp ms, raw offset, expired mask?], raw offsets non-decreasing. */
  readonly samples: readonly ShardSample[];
}

export interface ShardSeries {
  /** Series id: 16 lowercase hex chars (xxhash64 of the canonical key). */
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * One sample. `expiredMask` (absent when 0, nearly always) has bit r set when
 * resolution r no longer keeps the sample's window (see `judgeSampleAge`):
 * the shard does not write the sample to that resolution.
 */
export type ShardSample = readonly [seriesIndex: number, value: number, timestampMs: number, rawOffset: number, expiredMask?: number];

export const SHARD_RECORD_VERSION = 2;

/*
 * Wire form (little-endian; varint = unsigned LEB128 of an integer below 2^53):
 *
 *   u8      2 (the version; the older JSON form of the same record starts with `{`)
 *   u8      flags: 1 = rt present, 2 = integer timestamps
 *   varint  rp
 *   f64     rt                                   only with flag 1
 *   varint  series count S
 *   S x     varint block bytes | 16 bytes id (ASCII hex) | string name |
 *           varint label count L | L x (string label name, string label value)
 *   varint  sample count N
 *   N x     varint series index | f64 value | timestamp ms |
 *           zigzag raw offset - previous sample's (the first: - 0) | u8 expired mask
 *
 * timestamp = with flag 2, zigzag of the timestamp - previous sample's (the
 * first: - 0), set when every timestamp is a safe integer other than -0 and
 * every such difference is below 2^51 (as ingest's always are); otherwise f64.
 *
 * zigzag = varint of 2d (d >= 0) or -2d-1 (d < 0): raw offsets nearly always
 * grow by 0 or 1, so a delta is one byte. string = varint UTF-8 byte length, bytes. A series block's length prefix lets
 * a reader that already knows the id skip the block. Doubles travel as their
 * 64 bits: -0, subnormals and large integers arrive exactly as they left
 * (JSON text did not keep -0). Kafka checksums record batches, so the form
 * carries no checksum of its own; decoding still checks every bound.
 */
const FLAG_RT = 1;
const FLAG_INTEGER_TIMESTAMPS = 2;
const MAX_ZIGZAG_DELTA = 2 ** 51;
const JSON_OPEN_BRACE = 0x7b;
const SERIES_ID = /^[0-9a-f]{16}$/;
const SERIES_ID_BYTES = 16;
const MAX_VARINT_BYTES = 8;
const MAX_EXPIRED_MASK = 0xff;
const TWO_7 = 128;

/** Encodes one record in the binary wire form. Deterministic: equal records give equal bytes. */
export function encodeShardRecord(r: ShardRecord): Buffer {
  const blocks = r.series.map(encodeSeriesBlock);
  return encodeWithSeriesBlocks(r, blocks);
}

/**
 * Encodes `r` with `blocks[i]` as the already encoded block of `r.series[i]`
 * (see `encodeSeriesBlock`): what a writer that caches series blocks calls.
 * @throws RangeError on a raw offset that is not a non-negative safe integer, or a mask over 8 bits.
 */
export function encodeWithSeriesBlocks(r: ShardRecord, blocks: readonly Uint8Array[]): Buffer {
  let size = 2 + MAX_VARINT_BYTES + 8 + 2 * MAX_VARINT_BYTES + r.samples.length * (2 * MAX_VARINT_BYTES + 17);
  for (const b of blocks) size += MAX_VARINT_BYTES + b.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = SHARD_RECORD_VERSION;
  const integerTimestamps = hasIntegerTimestamps(r.samples);
  out[at++] = (r.rt === undefined ? 0 : FLAG_RT) | (integerTimestamps ? FLAG_INTEGER_TIMESTAMPS : 0);
  at = writeVarint(out, at, r.rp);
  if (r.rt !== undefined) at = out.writeDoubleLE(r.rt, at);
  at = writeVarint(out, at, blocks.length);
  for (const b of blocks) {
    at = writeVarint(out, at, b.length);
    out.set(b, at);
    at += b.length;
  }
  at = writeVarint(out, at, r.samples.length);
  let previous = 0;
  let previousTs = 0;
  for (const [index, value, timestampMs, rawOffset, expiredMask = 0] of r.samples) {
    if (!Number.isSafeInteger(rawOffset) || rawOffset < 0) throw new RangeError(`raw offset ${rawOffset} is not a non-negative safe integer`);
    if (!Number.isInteger(expiredMask) || expiredMask < 0 || expiredMask > MAX_EXPIRED_MASK) throw new RangeError(`expired mask ${expiredMask} is not 8 bits`);
    at = writeVarint(out, at, index);
    at = out.writeDoubleLE(value, at);
    if (integerTimestamps) {
      at = writeZigzag(out, at, timestampMs - previousTs);
      previousTs = timestampMs;
    } else {
      at = out.writeDoubleLE(timestampMs, at);
    }
    at = writeZigzag(out, at, rawOffset - previous);
    out[at++] = expiredMask;
    previous = rawOffset;
  }
  return out.subarray(0, at);
}

/** The encoded form of one series (id, name, labels in their own order), as a record carries it. */
export function encodeSeriesBlock(s: ShardSeries): Buffer {
  if (!SERIES_ID.test(s.id)) throw new RangeError(`series id ${JSON.stringify(s.id)} is not 16 lowercase hex chars`);
  const labelNames = Object.keys(s.labels);
  const strings = [s.name];
  for (const k of labelNames) strings.push(k, s.labels[k]!);
  let size = SERIES_ID_BYTES + MAX_VARINT_BYTES;
  for (const str of strings) size += MAX_VARINT_BYTES + Buffer.byteLength(str);
  const out = Buffer.allocUnsafe(size);
  let at = out.write(s.id, 0, 'latin1');
  at = writeString(out, at, s.name);
  at = writeVarint(out, at, labelNames.length);
  for (let i = 1; i < strings.length; i++) at = writeString(out, at, strings[i]!);
  return out.subarray(0, at);
}

/** Parses a shard record (binary, or the older JSON form); throws ShardRecordCorruptError on anything else. */
export function decodeShardRecord(bytes: Uint8Array): ShardRecord {
  return new ShardRecordDecoder(0).decode(bytes);
}

/**
 * Decodes shard records and keeps the series of up to `maxSeries` ids, so a
 * series seen in an earlier record is not parsed again (its block is
 * skipped). The id is the series' identity everywhere downstream, as for the
 * writer's cache. The cache is dropped whole when full: O(1), no LRU upkeep.
 */
export class ShardRecordDecoder {
  private readonly seriesById = new Map<string, ShardSeries>();

  constructor(private readonly maxSeries: number = DEFAULT_MAX_CACHED_SERIES) {}

  /** @throws ShardRecordCorruptError naming what is wrong and the byte offset. */
  decode(bytes: Uint8Array): ShardRecord {
    if (bytes.length === 0) throw new ShardRecordCorruptError('empty record');
    if (bytes[0] === JSON_OPEN_BRACE) return decodeJson(bytes);
    if (bytes[0] !== SHARD_RECORD_VERSION) throw new ShardRecordCorruptError(`unknown version byte ${bytes[0]}`);
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const rd = new Reader(buf, 1);
    const flags = rd.u8('flags');
    if ((flags & ~(FLAG_RT | FLAG_INTEGER_TIMESTAMPS)) !== 0) throw new ShardRecordCorruptError(`unknown flags ${flags}`, 1);
    const rp = rd.varint('rp');
    let rt: number | undefined;
    if ((flags & FLAG_RT) !== 0) {
      const at = rd.at;
      rt = rd.f64('rt');
      if (!Number.isSafeInteger(rt) || rt < 0) throw new ShardRecordCorruptError(`rt ${rt} is not a timestamp in ms`, at);
    }
    const seriesCount = rd.count('series count', SERIES_ID_BYTES + 2);
    const series: ShardSeries[] = new Array(seriesCount);
    for (let i = 0; i < seriesCount; i++) series[i] = this.series(rd);
    const integerTimestamps = (flags & FLAG_INTEGER_TIMESTAMPS) !== 0;
    const sampleCount = rd.count('sample count', integerTimestamps ? 12 : 19);
    const samples: ShardSample[] = new Array(sampleCount);
    let rawOffset = 0;
    let timestampMs = 0;
    for (let i = 0; i < sampleCount; i++) {
      const at = rd.at;
      const index = rd.varint('series index');
      if (index >= seriesCount) throw new ShardRecordCorruptError(`sample ${i} names series ${index} of ${seriesCount}`, at);
      const value = rd.f64('value');
      if (integerTimestamps) {
        timestampMs += rd.zigzag('timestamp delta');
        if (!Number.isSafeInteger(timestampMs)) throw new ShardRecordCorruptError(`sample ${i}: timestamp ${timestampMs} out of range`, at);
      } else {
        timestampMs = rd.f64('timestamp');
      }
      rawOffset += rd.zigzag('raw offset delta');
      if (!Number.isSafeInteger(rawOffset) || rawOffset < 0) throw new ShardRecordCorruptError(`sample ${i}: raw offset ${rawOffset} out of range`, at);
      const mask = rd.u8('expired mask');
      samples[i] = mask === 0 ? [index, value, timestampMs, rawOffset] : [index, value, timestampMs, rawOffset, mask];
    }
    if (rd.at !== buf.length) throw new ShardRecordCorruptError(`${buf.length - rd.at} bytes left over`, rd.at);
    return rt === undefined ? { v: SHARD_RECORD_VERSION, rp, series, samples } : { v: SHARD_RECORD_VERSION, rp, rt, series, samples };
  }

  private series(rd: Reader): ShardSeries {
    const blockBytes = rd.count('series block bytes', 1);
    const start = rd.at;
    const end = start + blockBytes;
    if (blockBytes < SERIES_ID_BYTES + 2 || end > rd.buf.length) throw new ShardRecordCorruptError(`series block of ${blockBytes} bytes does not fit`, start);
    const id = rd.buf.toString('latin1', start, start + SERIES_ID_BYTES);
    // Only ids that passed the check below are cached.
    const cached = this.seriesById.get(id);
    if (cached !== undefined) {
      rd.at = end;
      return cached;
    }
    if (!SERIES_ID.test(id)) throw new ShardRecordCorruptError(`series id ${JSON.stringify(id)} is not 16 lowercase hex chars`, start);
    rd.at = start + SERIES_ID_BYTES;
    const name = rd.string('series name', end);
    const labelCount = rd.count('label count', 2);
    const labels: Record<string, string> = {};
    for (let j = 0; j < labelCount; j++) {
      const at = rd.at;
      const k = rd.string('label name', end);
      // `__proto__` would not become a label of a plain object; ingest never writes a `__` name.
      if (Object.hasOwn(labels, k) || k === '__proto__') throw new ShardRecordCorruptError(`label ${JSON.stringify(k)} twice or reserved`, at);
      labels[k] = rd.string('label value', end);
    }
    if (rd.at !== end) throw new ShardRecordCorruptError(`series block ends at ${rd.at}, not at ${end}`, rd.at);
    const s: ShardSeries = { id, name, labels };
    if (this.maxSeries > 0) {
      if (this.seriesById.size >= this.maxSeries) this.seriesById.clear();
      this.seriesById.set(id, s);
    }
    return s;
  }
}

const DEFAULT_MAX_CACHED_SERIES = 100_000;

/** Bounds-checked cursor over one record's bytes. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public at: number,
  ) {}

  u8(what: string): number {
    if (this.at >= this.buf.length) throw truncated(what, this.at);
    return this.buf[this.at++]!;
  }

  f64(what: string): number {
    if (this.at + 8 > this.buf.length) throw truncated(what, this.at);
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  varint(what: string): number {
    const start = this.at;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.at >= this.buf.length) throw truncated(what, start);
      const b = this.buf[this.at++]!;
      value += (b & 0x7f) * scale;
      if (b < TWO_7) {
        if (b === 0 && i > 0) throw new ShardRecordCorruptError(`${what}: non-canonical varint`, start);
        if (!Number.isSafeInteger(value)) throw new ShardRecordCorruptError(`${what}: ${value} is past 2^53`, start);
        return value;
      }
      scale *= TWO_7;
    }
    throw new ShardRecordCorruptError(`${what}: varint longer than ${MAX_VARINT_BYTES} bytes`, start);
  }

  zigzag(what: string): number {
    const z = this.varint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /** A count of items of at least `minBytes` each: never more than the bytes left could hold, so no huge allocation. */
  count(what: string, minBytes: number): number {
    const at = this.at;
    const n = this.varint(what);
    if (n * minBytes > this.buf.length - this.at) throw new ShardRecordCorruptError(`${what} ${n} does not fit in ${this.buf.length - this.at} bytes`, at);
    return n;
  }

  string(what: string, end: number): string {
    const at = this.at;
    const n = this.varint(what);
    if (this.at + n > end) throw new ShardRecordCorruptError(`${what} of ${n} bytes does not fit`, at);
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
}

function truncated(what: string, at: number): ShardRecordCorruptError {
  return new ShardRecordCorruptError(`truncated at ${what}`, at);
}

function writeVarint(out: Buffer, at: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a non-negative safe integer`);
  while (value >= TWO_7) {
    out[at++] = (value % TWO_7) | TWO_7;
    value = Math.floor(value / TWO_7);
  }
  out[at++] = value;
  return at;
}

function writeZigzag(out: Buffer, at: number, value: number): number {
  return writeVarint(out, at, value >= 0 ? 2 * value : -2 * value - 1);
}

function hasIntegerTimestamps(samples: readonly ShardSample[]): boolean {
  let previous = 0;
  for (const s of samples) {
    const t = s[2];
    // -0 is a safe integer, but a delta cannot carry its sign: such a record keeps f64 timestamps.
    if (!Number.isSafeInteger(t) || Object.is(t, -0) || Math.abs(t - previous) >= MAX_ZIGZAG_DELTA) return false;
    previous = t;
  }
  return true;
}

function writeString(out: Buffer, at: number, s: string): number {
  const n = Buffer.byteLength(s);
  at = writeVarint(out, at, n);
  return at + out.write(s, at, 'utf8');
}

/** The JSON form written before the binary one: still read, so records already on a shard topic survive an upgrade. */
function decodeJson(bytes: Uint8Array): ShardRecord {
  let r: ShardRecord;
  try {
    r = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as ShardRecord;
  } catch (err) {
    throw new ShardRecordCorruptError(`not JSON (${(err as Error).message})`);
  }
  if (r === null || typeof r !== 'object' || r.v !== SHARD_RECORD_VERSION || !Array.isArray(r.samples) || !Array.isArray(r.series)) {
    throw new ShardRecordCorruptError(`JSON but not a version-${SHARD_RECORD_VERSION} shard record`);
  }
  return r;
}
