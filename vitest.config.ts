import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Unit tests are pure and need nothing running; integration and e2e tests share one
// local stack (Kafka + Redis Sentinel) that the global setup brings up once per run and
// leaves running for the next run. The projects run one after another (groupOrder):
// some tests kill the Redis primary, which must not happen under another project's feet.
//
// `npm test` runs unit, integration and e2e: every unit test, and the integration and
// e2e files that finish within minutes while still taking samples through the whole
// pipeline (pipeline-exactly-once, alerter-pipeline, hostile-input, secured-pipeline).
// The files below take the longest (measured per file with the JSON reporter) and run
// in `npm run test:slow` instead, as the projects integration-slow and e2e-slow, with
// the same timeouts; `.ci/run` runs both scripts, and the docker project after them.
const SLOW_INTEGRATION = [
  'test/integration/ingest/routing-replay.test.ts',
  'test/integration/stack/sentinel-failover.test.ts',
  'test/integration/cli/broken-pipe.test.ts',
  'test/integration/gateway/kafka-unavailable.test.ts',
];
const SLOW_E2E = [
  'test/e2e/shard-scaling.test.ts',
  'test/e2e/query-prometheus.test.ts',
  'test/e2e/pipeline-crashes.test.ts',
  'test/e2e/alerter/alerter-failover.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/gateway-prometheus.test.ts',
];

// A renamed file would silently leave both projects; refuse to start instead.
for (const file of [...SLOW_INTEGRATION, ...SLOW_E2E]) {
  if (!existsSync(new URL(file, import.meta.url))) throw new Error(`vitest.config.ts lists ${file} as slow, but there is no such file`);
}

const STACK = { globalSetup: ['test/support/global-setup.ts'], fileParallelism: false };
const INTEGRATION = { ...STACK, testTimeout: 180_000, hookTimeout: 240_000 };
const E2E = { ...STACK, testTimeout: 300_000, hookTimeout: 300_000 };

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
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: SLOW_INTEGRATION, sequence: { groupOrder: 1 }, ...INTEGRATION } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: SLOW_E2E, sequence: { groupOrder: 2 }, ...E2E } },
      { test: { name: 'integration-slow', include: SLOW_INTEGRATION, sequence: { groupOrder: 3 }, ...INTEGRATION } },
      { test: { name: 'e2e-slow', include: SLOW_E2E, sequence: { groupOrder: 4 }, ...E2E } },
      {
        // Kafka and Redis + Sentinels as testcontainers (needs a Docker engine; skipped
        // with the reason printed when none answers). Ports sit above the local stack's.
        test: {
          name: 'docker',
          include: ['test/docker/**/*.test.ts'],
          sequence: { groupOrder: 5 },
          globalSetup: ['test/docker/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
