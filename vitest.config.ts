import { defineConfig } from 'vitest/config';

// Four projects: unit tests are pure and need nothing running; integration and
// e2e tests share one local stack (Kafka + Redis Sentinel) that the global setup
// brings up once per run and leaves running for the next run. The projects run
// one after another (groupOrder): some tests kill the Redis primary, which
// must not happen under another project's feet.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Kafka and Redis + Sentinels as testcontainers (needs a Docker engine; skipped
        // with the reason printed when none answers). Ports sit above the local stack's.
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          sequence: { groupOrder: 3 },
          globalSetup: ['test/docker/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
