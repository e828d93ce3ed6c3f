/** One fast-check seed per test file: printed, and replayable with FC_SEED=<seed>. */
export function propertySeed(file: string): number {
  const fromEnv = process.env.FC_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Date.now() % 2 ** 31;
  console.log(`[${file}] fast-check seed ${seed} (replay with FC_SEED=${seed})`);
  return seed;
}
