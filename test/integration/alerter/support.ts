import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { redisKeys, type RedisKeys } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import type { StackEndpoints } from '@ringtail/stack';
import { afterEach, beforeEach, test } from 'vitest';
import { WebhookReceiver } from '@ringtail/webhooks';
import { loadConfig, startAlerter, type AlerterConfig, type RunningAlerter } from '../../../services/alerter/src/index.ts';
import { randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A rule file in a fresh temp folder; returns its path. */
export function writeRuleFile(yaml: string, path?: string): string {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'ringtail-alerter-')), 'rules.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** A rule file with one receiver and one `last` threshold rule on metric `metric`. */
export function thresholdRules(receiverUrl: string, metric: string, extra: { rule?: string; receiver?: string } = {}): string {
  return `
receivers:
  - name: ops
    url: ${receiverUrl}
    secrets: [${SECRET}]
    group_wait: 0s
    group_interval: 1s
    retry_initial: 200ms
    retry_max: 2s
${extra.receiver ?? ''}
rules:
  - alert: HighTemp
    selector: '${metric}{room="a"}'
    aggregation: last
    window: 1m
    op: '>'
    threshold: 50
    labels: { severity: page }
    annotations: { summary: 'room {{ $labels.room }} at {{ $value }}' }
${extra.rule ?? ''}
`;
}

export function testRedis(stack: StackEndpoints): Redis {
  const redis = createSentinelClient({ sentinels: stack.sentinels, masterName: stack.sentinelMasterName }, 'alerter-test', 10_000);
  redis.on('error', () => undefined);
  return redis;
}

/** What `namespacePerTest` hands each test: a fresh namespace, its keys and a Redis client. */
export interface NamespaceContext {
  readonly namespace: string;
  readonly keys: RedisKeys;
  readonly redis: Redis;
}

/**
 * A fresh namespace and Redis client for every test of the calling `describe`;
 * after each test its keys are deleted and the client disconnected. Read the
 * fields inside tests (they are set by beforeEach).
 */
export function namespacePerTest(label: string): NamespaceContext {
  const ctx = {} as { namespace: string; keys: RedisKeys; redis: Redis };
  beforeEach(() => {
    ctx.namespace = randomNamespace(label);
    ctx.keys = redisKeys(ctx.namespace);
    ctx.redis = testRedis(stackEndpoints());
  });
  afterEach(async () => {
    const stale = await ctx.redis.keys(ctx.keys.scanPattern);
    if (stale.length > 0) await ctx.redis.del(...stale);
    ctx.redis.disconnect();
  });
  return ctx;
}

/** Environment of an alerter in `namespace` reading `rulesFile`, fast ticks for tests. */
export function alerterEnv(stack: StackEndpoints, namespace: string, rulesFile: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...stackEnv(stack, namespace),
    RULES_FILE: rulesFile,
    EVAL_INTERVAL_MS: '300',
    LEASE_TTL_MS: '1500',
    RULES_POLL_MS: '100',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export function alerterConfig(stack: StackEndpoints, namespace: string, rulesFile: string, extra: Record<string, string> = {}): AlerterConfig {
  return loadConfig(alerterEnv(stack, namespace, rulesFile, extra));
}

export const quietLog = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * One alerter test's world: its own namespace, a Redis client, a webhook
 * receiver, and every alerter it started; `close()` stops and releases them all.
 */
export class AlerterTestBed {
  private readonly alerters: RunningAlerter[] = [];

  private constructor(
    readonly namespace: string,
    readonly redis: Redis,
    readonly receiver: WebhookReceiver,
  ) {}

  static async open(label: string): Promise<AlerterTestBed> {
    return new AlerterTestBed(randomNamespace(label), testRedis(stackEndpoints()), await WebhookReceiver.start());
  }

  /** An in-process alerter on `rulesFile` in this namespace, with the test settings of `alerterEnv`. */
  async startAlerter(rulesFile: string, extra: Record<string, string> = {}): Promise<RunningAlerter> {
    const alerter = await startAlerter(alerterConfig(stackEndpoints(), this.namespace, rulesFile, extra), quietLog);
    this.alerters.push(alerter);
    return alerter;
  }

  async close(): Promise<void> {
    for (const alerter of this.alerters.splice(0)) await alerter.stop();
    await this.receiver.stop();
    this.redis.disconnect();
  }
}

/**
 * `test` with a `bed` fixture: a fresh AlerterTestBed (namespace, Redis
 * client, webhook receiver) per test, closed with every alerter it started
 * after the test, whatever its outcome.
 */
export const alerterTest = test.extend<{ bed: AlerterTestBed }>({
  // The empty pattern is vitest's way of saying the fixture depends on no other fixture.
  bed: async ({}, use) => {
    const bed = await AlerterTestBed.open('alerter');
    try {
      await use(bed);
    } finally {
      await bed.close();
    }
  },
});
