/**
 * The seed of a randomized test file — fast-check properties, generated
 * workloads, shuffled fault schedules: `RINGTAIL_TEST_SEED` from the
 * environment to replay a failure, otherwise derived from the clock. Printed
 * with `label` so every run can be reproduced.
 */
export function testSeed(label: string): number {
  const fromEnv = process.env.RINGTAIL_TEST_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : Date.now() % 2 ** 31;
  process.stdout.write(`[${label}] seed ${seed} (replay with RINGTAIL_TEST_SEED=${seed})\n`);
  return seed;
}
