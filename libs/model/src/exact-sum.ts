/**
 * An exact, order-independent sum of doubles.
 *
 * Floating-point addition is not associative, so a window's `sum` would depend
 * on how samples were batched. Every finite double is an integer multiple of
 * 2^-1074; its scaled integer is split into 32-bit limbs, and limb i carries
 * weight 2^(32i - 1074). Adding doubles is then integer addition per limb
 * (Redis HINCRBY), exact, commutative and associative; the total is rounded
 * to the nearest double once, when read.
 *
 * Limb values in a delta stay exact as JS numbers while fewer than 2^20
 * samples are added (2^20 * 2^32 < 2^53); Redis int64 limbs overflow only
 * after 2^31 samples in one window.
 */

/** Sparse limbs: limb index → signed integer amount. */
export type Limbs = Map<number, number>;

/** Largest number of samples one limb delta may absorb and stay an exact JS integer. */
export const MAX_SAMPLES_PER_LIMB_DELTA = 2 ** 20;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Float64Array shares the platform's byte order; every platform Node 20 supports is little-endian.
const LO = 0;
const HI = 1;

/** Adds the exact value of the finite double `value` to `limbs`. */
export function addToLimbs(limbs: Limbs, value: number): void {
  if (value === 0) return;
  f64[0] = value;
  const hiWord = u32[HI]!;
  const lo = u32[LO]!;
  const exp = (hiWord >>> 20) & 0x7ff;
  const sign = hiWord >>> 31 ? -1 : 1;
  // Mantissa M (with the hidden bit for normals) times 2^shift is value * 2^1074.
  const hi = exp === 0 ? hiWord & 0xfffff : (hiWord & 0xfffff) | 0x100000;
  const shift = exp === 0 ? 0 : exp - 1;
  const index = shift >>> 5;
  const off = shift & 31;
  const l0 = (lo << off) >>> 0;
  const l1 = off === 0 ? hi : ((hi << off) | (lo >>> (32 - off))) >>> 0;
  const l2 = off === 0 ? 0 : hi >>> (32 - off);
  if (l0 !== 0) limbs.set(index, (limbs.get(index) ?? 0) + sign * l0);
  if (l1 !== 0) limbs.set(index + 1, (limbs.get(index + 1) ?? 0) + sign * l1);
  if (l2 !== 0) limbs.set(index + 2, (limbs.get(index + 2) ?? 0) + sign * l2);
}

/** Adds every limb of `from` into `into`. */
export function mergeLimbs(into: Limbs, from: ReadonlyMap<number, number>): void {
  for (const [i, v] of from) into.set(i, (into.get(i) ?? 0) + v);
}

/** The exact sum as a scaled integer (value * 2^1074). Limb values may be bigint or decimal strings. */
export function limbsToScaled(limbs: Iterable<readonly [number, number | bigint | string]>): bigint {
  let total = 0n;
  for (const [i, v] of limbs) total += BigInt(v) << BigInt(32 * i);
  return total;
}

/** Rounds a scaled integer (value * 2^1074) to the nearest double (ties to even). */
export function scaledToNumber(scaled: bigint): number {
  if (scaled === 0n) return 0;
  const negative = scaled < 0n;
  const abs = negative ? -scaled : scaled;
  const bits = abs.toString(2).length;
  // Keep 60 significant bits plus a sticky bit so Number() rounds once, correctly.
  const drop = Math.max(0, bits - 60);
  let kept = abs >> BigInt(drop);
  if (drop > 0 && (kept << BigInt(drop)) !== abs) kept |= 1n;
  // Exact: a result below the normal range has fewer than 53 bits, so drop is 0
  // and the product is representable; above it, a power-of-two scale is exact.
  const magnitude = Number(kept) * 2 ** (drop - 1074);
  return negative ? -magnitude : magnitude;
}

/** Exact sum of `values`, rounded once. */
export function exactSum(values: Iterable<number>): number {
  const limbs: Limbs = new Map();
  for (const v of values) addToLimbs(limbs, v);
  return scaledToNumber(limbsToScaled(limbs));
}

/** 2^2098: the smallest scaled magnitude that rounds to ±Infinity is below it, so it stands for an overflowed sum. */
const SCALED_INFINITY = 1n << 2098n;

/**
 * The scaled integer (value * 2^1074) of a double, so that `scaledToNumber`
 * gives the double back: exact for finite values, a magnitude that rounds to
 * ±Infinity for infinite ones. NaN has no scaled value: it throws RangeError.
 */
export function doubleToScaled(value: number): bigint {
  if (Number.isNaN(value)) throw new RangeError('NaN has no exact sum');
  if (value === Infinity) return SCALED_INFINITY;
  if (value === -Infinity) return -SCALED_INFINITY;
  const limbs: Limbs = new Map();
  addToLimbs(limbs, value);
  return limbsToScaled(limbs);
}
