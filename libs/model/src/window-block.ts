import { crc32 } from 'node:zlib';
import { BlockCorruptError, BlockEncodeError } from './errors.ts';
import type { Resolution, WindowValues } from './windows.ts';

/**
 * A block: the closed windows of one series in one resolution over one block
 * period, packed into one Redis string (see services/shard/README.md, "Window
 * blocks", for the byte layout). Windows are `WindowValues`: the exact sum was
 * rounded once, to the double every reader sees anyway.
 */
export interface WindowBlock {
  /** Start of the block period (ms): a multiple of `stepMs * slots`. */
  readonly startMs: number;
  readonly stepMs: number;
  /** Window positions in the block period. */
  readonly slots: number;
  /** Windows present, by increasing `startMs`, each at `startMs + i * stepMs` for some i < slots. */
  readonly windows: readonly WindowValues[];
}

export const BLOCK_FORMAT_VERSION = 1;
/** Upper bound of window positions per block a decoder accepts (a corrupt header must not allocate gigabytes). */
export const MAX_BLOCK_SLOTS = 65_536;
/** Blocks per retention: a block outlives its oldest window by at most 1/BLOCKS_PER_RETENTION of the retention. */
const BLOCKS_PER_RETENTION = 12;
/** Windows per block at most: bounds what one compaction rewrites when it appends to a block. */
const MAX_WINDOWS_PER_BLOCK = 720;

/** Window positions per block of `r`: about a twelfth of its retention, between 1 and 720 windows. */
export function blockSlots(r: Resolution): number {
  return Math.max(1, Math.min(MAX_WINDOWS_PER_BLOCK, Math.floor(r.retentionMs / r.stepMs / BLOCKS_PER_RETENTION)));
}

/** Start of the block of `r` holding the window that starts at `windowStartMs`. */
export function blockStartMs(windowStartMs: number, r: Resolution): number {
  const periodMs = blockSlots(r) * r.stepMs;
  return Math.floor(windowStartMs / periodMs) * periodMs;
}

/** When Redis may drop the block starting at `startMs`: its last window's expiry. */
export function blockExpiresAtMs(startMs: number, r: Resolution): number {
  return startMs + blockSlots(r) * r.stepMs + r.retentionMs;
}

/**
 * The latest time the window of `r` starting at `windowStartMs` keeps a trace in
 * Redis: its block's expiry, which is never before the window's own (a window
 * lives at most until its block would). The series index keeps a series at
 * least this long.
 */
export function windowHeldUntilMs(windowStartMs: number, r: Resolution): number {
  return blockExpiresAtMs(blockStartMs(windowStartMs, r), r);
}

const FLAG = {
  minIsFirst: 1,
  minIsLast: 2,
  maxIsFirst: 4,
  maxIsLast: 8,
  lastIsFirst: 16,
  ltIsFt: 32,
  sumIsFirst: 64,
} as const;
const KNOWN_FLAGS = 127;
const CRC_BYTES = 4;

class ByteWriter {
  private buf = new Uint8Array(256);
  length = 0;

  byte(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }

  /** A non-negative safe integer, 7 bits per byte, low first. */
  varint(v: number): void {
    while (v >= 128) {
      this.byte((v % 128) + 128);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }

  /** A signed integer with |v| < 2^52. */
  zigzag(v: number): void {
    this.varint(v >= 0 ? 2 * v : -2 * v - 1);
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  byte(what: string): number {
    if (this.pos >= this.buf.length) throw new BlockCorruptError(`truncated: ${what} expected at byte ${this.pos}`);
    return this.buf[this.pos++]!;
  }

  varint(what: string): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.byte(what);
      v += (b & 127) * scale;
      if (b < 128) break;
      scale *= 128;
      if (i === 7) throw new BlockCorruptError(`${what} at byte ${this.pos} is longer than 8 bytes`);
    }
    if (!Number.isSafeInteger(v)) throw new BlockCorruptError(`${what} at byte ${this.pos} exceeds 2^53`);
    return v;
  }

  zigzag(what: string): number {
    const z = this.varint(what);
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian platforms only (every platform Node 20 supports): word 1 is the sign/exponent half.
const HI = 1;
const LO = 0;

/**
 * One XOR column: each value is XORed with the previous value of the column
 * (0 before the first), and the 8 result bytes (big-endian) are written as a
 * control byte — 0 for "same as before", else (leading zero bytes << 4) |
 * meaningful bytes — followed by the meaningful bytes.
 */
class XorWriter {
  private hi = 0;
  private lo = 0;
  constructor(private readonly out: ByteWriter) {}

  write(value: number): void {
    f64[0] = value;
    const hi = u32[HI]!;
    const lo = u32[LO]!;
    const xh = (hi ^ this.hi) >>> 0;
    const xl = (lo ^ this.lo) >>> 0;
    this.hi = hi;
    this.lo = lo;
    if (xh === 0 && xl === 0) {
      this.out.byte(0);
      return;
    }
    const b = [xh >>> 24, (xh >>> 16) & 255, (xh >>> 8) & 255, xh & 255, xl >>> 24, (xl >>> 16) & 255, (xl >>> 8) & 255, xl & 255];
    let lead = 0;
    while (b[lead] === 0) lead++;
    let end = 8;
    while (b[end - 1] === 0) end--;
    this.out.byte((lead << 4) | (end - lead));
    for (let i = lead; i < end; i++) this.out.byte(b[i]!);
  }
}

class XorReader {
  private hi = 0;
  private lo = 0;
  constructor(
    private readonly input: ByteReader,
    private readonly column: string,
  ) {}

  read(): number {
    const at = this.input.pos;
    const control = this.input.byte(this.column);
    if (control !== 0) {
      const lead = control >>> 4;
      const len = control & 15;
      if (len === 0 || lead + len > 8) throw new BlockCorruptError(`${this.column}: bad control byte ${control} at byte ${at}`);
      const b = [0, 0, 0, 0, 0, 0, 0, 0];
      for (let i = lead; i < lead + len; i++) b[i] = this.input.byte(this.column);
      if (b[lead] === 0 || b[lead + len - 1] === 0) throw new BlockCorruptError(`${this.column}: non-canonical value at byte ${at}`);
      this.hi = (this.hi ^ ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!)) >>> 0;
      this.lo = (this.lo ^ ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!)) >>> 0;
    }
    u32[HI] = this.hi;
    u32[LO] = this.lo;
    const v = f64[0]!;
    if (Number.isNaN(v)) throw new BlockCorruptError(`${this.column}: NaN at byte ${at}`);
    return v;
  }
}

function checkWindow(w: WindowValues, block: WindowBlock, previousStartMs: number): void {
  const fail = (reason: string) => {
    throw new BlockEncodeError(reason, w.startMs);
  };
  const offset = w.startMs - block.startMs;
  if (!Number.isSafeInteger(w.startMs) || offset < 0 || offset % block.stepMs !== 0 || offset / block.stepMs >= block.slots) {
    fail(`window ${w.startMs} is not a window position of the block at ${block.startMs}`);
  }
  if (w.startMs <= previousStartMs) fail(`windows must be in increasing start order (${w.startMs} after ${previousStartMs})`);
  if (!Number.isSafeInteger(w.count) || w.count < 1) fail(`count ${w.count} is not a positive integer`);
  const end = w.startMs + block.stepMs;
  for (const [name, ts] of [['firstTsMs', w.firstTsMs], ['lastTsMs', w.lastTsMs]] as const) {
    if (!Number.isSafeInteger(ts) || ts < w.startMs || ts >= end) fail(`${name} ${ts} is outside the window [${w.startMs}, ${end})`);
  }
  if (w.lastTsMs < w.firstTsMs) fail(`lastTsMs ${w.lastTsMs} is before firstTsMs ${w.firstTsMs}`);
  for (const [name, v] of [['min', w.min], ['max', w.max], ['first', w.first], ['last', w.last]] as const) {
    if (!Number.isFinite(v)) fail(`${name} ${v} is not finite`);
  }
  // A rounded exact sum may overflow to ±Infinity; NaN is never a window value.
  if (Number.isNaN(w.sum)) fail('sum is NaN');
}

/**
 * Encodes a block. Exact for every field (Object.is: -0 stays -0, subnormals
 * and ±max double stay themselves). Pure.
 * @throws BlockEncodeError for windows a block cannot hold (see the class)
 */
export function encodeWindowBlock(block: WindowBlock): Uint8Array {
  const { startMs, stepMs, slots, windows } = block;
  if (!Number.isSafeInteger(stepMs) || stepMs <= 0) throw new BlockEncodeError(`step ${stepMs} ms is not a positive integer`);
  if (!Number.isSafeInteger(slots) || slots < 1 || slots > MAX_BLOCK_SLOTS) throw new BlockEncodeError(`slots ${slots} not in [1, ${MAX_BLOCK_SLOTS}]`);
  const periodMs = stepMs * slots;
  if (!Number.isSafeInteger(startMs) || startMs % periodMs !== 0) throw new BlockEncodeError(`block start ${startMs} is not a multiple of its period ${periodMs} ms`);
  let previous = -Infinity;
  for (const w of windows) {
    checkWindow(w, block, previous);
    previous = w.startMs;
  }

  const out = new ByteWriter();
  out.byte(BLOCK_FORMAT_VERSION);
  out.varint(stepMs);
  out.varint(slots);
  out.zigzag(startMs / periodMs);
  const bitmap = new Uint8Array(Math.ceil(slots / 8));
  for (const w of windows) {
    const i = (w.startMs - startMs) / stepMs;
    bitmap[i >>> 3]! |= 1 << (i & 7);
  }
  for (const b of bitmap) out.byte(b);

  const flags = windows.map((w) => {
    let f = 0;
    if (Object.is(w.min, w.first)) f |= FLAG.minIsFirst;
    else if (Object.is(w.min, w.last)) f |= FLAG.minIsLast;
    if (Object.is(w.max, w.first)) f |= FLAG.maxIsFirst;
    else if (Object.is(w.max, w.last)) f |= FLAG.maxIsLast;
    if (Object.is(w.last, w.first)) f |= FLAG.lastIsFirst;
    if (w.lastTsMs === w.firstTsMs) f |= FLAG.ltIsFt;
    if (Object.is(w.sum, w.first)) f |= FLAG.sumIsFirst;
    return f;
  });
  for (const w of windows) out.varint(w.count - 1);
  for (const f of flags) out.byte(f);
  let prevFt = 0;
  for (const w of windows) {
    const ft = w.firstTsMs - w.startMs;
    out.zigzag(ft - prevFt);
    prevFt = ft;
  }
  let prevSpan = 0;
  windows.forEach((w, i) => {
    if ((flags[i]! & FLAG.ltIsFt) !== 0) return;
    const span = w.lastTsMs - w.firstTsMs;
    out.zigzag(span - prevSpan);
    prevSpan = span;
  });
  const column = (pick: (w: WindowValues) => number, implied: number) => {
    const x = new XorWriter(out);
    windows.forEach((w, i) => {
      if ((flags[i]! & implied) === 0) x.write(pick(w));
    });
  };
  column((w) => w.first, 0);
  column((w) => w.last, FLAG.lastIsFirst);
  column((w) => w.min, FLAG.minIsFirst | FLAG.minIsLast);
  column((w) => w.max, FLAG.maxIsFirst | FLAG.maxIsLast);
  column((w) => w.sum, FLAG.sumIsFirst);

  const body = out.bytes();
  const bytes = new Uint8Array(body.length + CRC_BYTES);
  bytes.set(body);
  new DataView(bytes.buffer).setUint32(body.length, crc32(body), true);
  return bytes;
}

/**
 * Decodes a block written by `encodeWindowBlock`.
 * @throws BlockCorruptError naming what is wrong: a bad checksum, version, header, count, timestamp or value
 */
export function decodeWindowBlock(bytes: Uint8Array): WindowBlock {
  if (bytes.length < 1 + CRC_BYTES) throw new BlockCorruptError(`${bytes.length} bytes, shorter than any block`);
  const body = bytes.subarray(0, bytes.length - CRC_BYTES);
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(body.length, true);
  const computed = crc32(body);
  if (stored !== computed) throw new BlockCorruptError(`checksum ${stored.toString(16)} does not match the content's ${computed.toString(16)}`);
  const r = new ByteReader(body);
  const version = r.byte('version');
  if (version !== BLOCK_FORMAT_VERSION) throw new BlockCorruptError(`version ${version}, expected ${BLOCK_FORMAT_VERSION}`);
  const stepMs = r.varint('step');
  const slots = r.varint('slots');
  if (stepMs < 1) throw new BlockCorruptError('step is 0');
  if (slots < 1 || slots > MAX_BLOCK_SLOTS) throw new BlockCorruptError(`slots ${slots} not in [1, ${MAX_BLOCK_SLOTS}]`);
  const periodMs = stepMs * slots;
  const startMs = r.zigzag('block index') * periodMs;
  if (!Number.isSafeInteger(startMs) || !Number.isSafeInteger(startMs + periodMs)) throw new BlockCorruptError(`block start ${startMs} out of range`);
  const starts: number[] = [];
  for (let byteIndex = 0; byteIndex < Math.ceil(slots / 8); byteIndex++) {
    const b = r.byte('presence bitmap');
    for (let bit = 0; bit < 8; bit++) {
      if ((b & (1 << bit)) === 0) continue;
      const i = byteIndex * 8 + bit;
      if (i >= slots) throw new BlockCorruptError(`presence bit ${i} beyond ${slots} slots`);
      starts.push(startMs + i * stepMs);
    }
  }
  const m = starts.length;
  const counts = starts.map(() => r.varint('count') + 1);
  counts.forEach((c) => {
    if (!Number.isSafeInteger(c)) throw new BlockCorruptError(`count ${c} exceeds 2^53`);
  });
  const flags = starts.map(() => {
    const f = r.byte('flags');
    if ((f & ~KNOWN_FLAGS) !== 0) throw new BlockCorruptError(`unknown flag bits ${f}`);
    if ((f & FLAG.minIsFirst) !== 0 && (f & FLAG.minIsLast) !== 0) throw new BlockCorruptError('min is both first and last');
    if ((f & FLAG.maxIsFirst) !== 0 && (f & FLAG.maxIsLast) !== 0) throw new BlockCorruptError('max is both first and last');
    return f;
  });
  let prevFt = 0;
  const fts = starts.map((s) => {
    prevFt += r.zigzag('first timestamp');
    if (prevFt < 0 || prevFt >= stepMs) throw new BlockCorruptError(`first timestamp offset ${prevFt} outside the window of ${stepMs} ms`);
    return s + prevFt;
  });
  let prevSpan = 0;
  const lts = starts.map((s, i) => {
    if ((flags[i]! & FLAG.ltIsFt) !== 0) return fts[i]!;
    prevSpan += r.zigzag('last timestamp');
    const lt = fts[i]! + prevSpan;
    if (prevSpan < 0 || lt >= s + stepMs) throw new BlockCorruptError(`last timestamp ${lt} outside the window at ${s}`);
    return lt;
  });
  const column = (name: string, implied: number, finite: boolean): (number | undefined)[] => {
    const x = new XorReader(r, name);
    return flags.map((f) => {
      if ((f & implied) !== 0) return undefined;
      const v = x.read();
      if (finite && !Number.isFinite(v)) throw new BlockCorruptError(`${name} ${v} is not finite`);
      return v;
    });
  };
  const first = column('first', 0, true) as number[];
  const lastCol = column('last', FLAG.lastIsFirst, true);
  const last = lastCol.map((v, i) => v ?? first[i]!);
  const minCol = column('min', FLAG.minIsFirst | FLAG.minIsLast, true);
  const maxCol = column('max', FLAG.maxIsFirst | FLAG.maxIsLast, true);
  const sumCol = column('sum', FLAG.sumIsFirst, false);
  if (r.pos !== body.length) throw new BlockCorruptError(`${body.length - r.pos} bytes left over after ${m} windows`);
  const pickImplied = (f: number, v: number | undefined, isFirst: number, i: number) =>
    v ?? ((f & isFirst) !== 0 ? first[i]! : last[i]!);
  const windows: WindowValues[] = starts.map((s, i) => {
    const f = flags[i]!;
    return {
      startMs: s,
      count: counts[i]!,
      sum: sumCol[i] ?? first[i]!,
      min: pickImplied(f, minCol[i], FLAG.minIsFirst, i),
      max: pickImplied(f, maxCol[i], FLAG.maxIsFirst, i),
      firstTsMs: fts[i]!,
      first: first[i]!,
      lastTsMs: lts[i]!,
      last: last[i]!,
    };
  });
  return { startMs, stepMs, slots, windows };
}
