/** Magnitudes that move a double's limbs far apart: subnormals, 2^52, near the top of the range. */
const MAGNITUDES = [1, 1e-3, 1e6, 1e300, 5e-324, 2 ** 52, 1e-310];

/**
 * A random value that exercises exact-sum limbs: carries, borrows, a negative
 * top limb (mostly negative-leaning, so sums cross zero). `withZero` adds 0 to
 * the magnitudes, for samples that add nothing to the limbs.
 */
export function limbStressValue(random: () => number, withZero = false): number {
  const magnitudes = withZero ? [...MAGNITUDES, 0] : MAGNITUDES;
  const magnitude = magnitudes[Math.floor(random() * magnitudes.length)]!;
  return (random() - 0.6) * magnitude * (1 + random());
}
