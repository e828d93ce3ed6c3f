/**
 * Seed for this file's fast-check properties: `FC_SEED` from the environment to
 * replay a failure, otherwise derived from the clock. Printed so every run can
 * be reproduced.
 */
export function propertySeed(file: string): number {
  const fromEnv = process.env.FC_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Date.now() % 2 ** 31;
  console.log(`[${file}] fast-check seed ${seed} (replay with FC_SEED=${seed})`);
  return seed;
}
