import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { createSentinelClient } from '@ringtail/runtime';
import type { StackEndpoints } from '@ringtail/stack';
import { loadConfig, startAlerter, verifyWebhook, type AlerterConfig, type RunningAlerter } from '../../../services/alerter/src/index.ts';
import { randomNamespace, stackEndpoints, stackEnv } from '../../support/fixtures.ts';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface ReceivedWebhook {
  readonly atMs: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status the receiver answered. */
  readonly status: number;
  readonly id: string;
  readonly json: { status: string; alerts: { status: string; labels: Record<string, string>; fingerprint: string; startsAt: string; value: number | null }[] };
}

type Reply = { status: number; headers?: Record<string, string>; delayMs?: number };

/** A real webhook receiver on a random loopback port; answers 200 unless replies are queued. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly replies: Reply[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const reply = this.replies.shift() ?? { status: 200 };
        this.received.push({ atMs: Date.now(), headers: req.headers, body, status: reply.status, id: String(req.headers['webhook-id']), json: JSON.parse(body) as ReceivedWebhook['json'] });
        setTimeout(() => {
          if (res.destroyed) return;
          res.writeHead(reply.status, reply.headers ?? {});
          res.end();
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Queues the next replies (then 200s). */
  reply(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  /** Webhooks answered 2xx, i.e. delivered. */
  delivered(status?: 'firing' | 'resolved'): ReceivedWebhook[] {
    return this.received.filter((w) => w.status >= 200 && w.status < 300 && (status === undefined || w.json.status === status));
  }

  /** Throws unless every request carries a valid Standard Webhooks signature. */
  verifyAll(secret = SECRET): void {
    for (const w of this.received) verifyWebhook({ secret, headers: w.headers, body: w.body });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

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
    return new AlerterTestBed(randomNamespace(label), testRedis(stackEndpoints()), await new WebhookReceiver().start());
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
