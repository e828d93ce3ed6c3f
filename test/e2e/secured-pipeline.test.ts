import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { SampleGenerator } from '@ringtail/loadgen';
import { topicNames } from '@ringtail/model';
import { ServiceProcess } from '@ringtail/stack';
import { alerterEnv, thresholdRules, writeRuleFile } from '../integration/alerter/support.ts';
import { ExactLoad } from '../support/exact-load.ts';
import { randomNamespace } from '../support/fixtures.ts';
import { gatewayProcess } from '../support/gateway.ts';
import { PipelineUnderTest } from '../support/pipeline.ts';
import { readLog, secureStackUp, secureTopology, type SecureStack } from '../support/secure-stack.ts';
import { testSeed } from '../support/test-seed.ts';

const SEED = testSeed('e2e/secured-pipeline');
const LOG_DIR = new URL('../../.cache/test-logs', import.meta.url).pathname;
const CLI = new URL('../../libs/cli/bin/ringtail.mjs', import.meta.url).pathname;
const run = promisify(execFile);

/**
 * The whole pipeline on the secured stack with every secret given by value
 * (not by file, so a careless log line would print it), client certificates
 * presented to Redis and Kafka, and bearer tokens on every HTTP API. Everything
 * the processes and the CLI print, and every /metrics page, is then searched
 * for each secret's value.
 */
describe('the pipeline on the secured stack', () => {
  let stack: SecureStack;
  let pipeline: PipelineUnderTest;
  let alerter: ServiceProcess;
  let gateway: ServiceProcess;
  let producer: Producer;
  let secrets: Record<string, string>;
  let secretEnv: Record<string, string>;
  const printed: string[] = [];

  beforeAll(async () => {
    stack = await secureStackUp('e2e/secured-pipeline');
    const c = stack.credentials;
    const clientKey = readFileSync(c.clientKeyFile, 'utf8');
    secrets = {
      ...stack.passwords,
      httpToken: `http-${randomBytes(12).toString('hex')}`,
      gatewayToken: `gw-${randomBytes(12).toString('hex')}`,
      webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
      // The body of the client's private key (PEM minus its armour lines).
      clientKey: clientKey.split('\n').filter((l) => l && !l.startsWith('-----')).join(''),
    };
    secretEnv = {
      LOG_LEVEL: 'debug',
      KAFKA_SASL_PASSWORD_FILE: '',
      KAFKA_SASL_PASSWORD: secrets.kafka!,
      REDIS_PASSWORD_FILE: '',
      REDIS_PASSWORD: secrets.redis!,
      REDIS_SENTINEL_PASSWORD_FILE: '',
      REDIS_SENTINEL_PASSWORD: secrets.sentinel!,
      KAFKA_TLS_CERT_FILE: c.clientCertFile,
      KAFKA_TLS_KEY_FILE: c.clientKeyFile,
      REDIS_TLS_CERT_FILE: c.clientCertFile,
      REDIS_TLS_KEY_FILE: c.clientKeyFile,
      HTTP_BEARER_TOKENS: secrets.httpToken!,
      GATEWAY_BEARER_TOKENS: secrets.gatewayToken!,
      WEBHOOK_SECRETS: secrets.webhookSecret!,
    };
    const namespace = randomNamespace('secure');
    pipeline = new PipelineUnderTest(stack.endpoints, { namespace, workers: ['w0', 'w1'], ingestInstances: 1, extraEnv: secretEnv });
    await pipeline.start();
    alerter = new ServiceProcess({
      name: `${namespace}alerter`,
      entry: 'services/alerter/src/main.ts',
      env: alerterEnv(stack.endpoints, namespace, writeRuleFile(thresholdRules('http://127.0.0.1:9/hook', 'secure_temp')), secretEnv),
      logDir: LOG_DIR,
    });
    gateway = gatewayProcess(`${namespace}gateway`, pipeline.env);
    await Promise.all([alerter.start(120_000), gateway.start(120_000)]);
    producer = await pipeline.producer();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all([alerter?.stop(), gateway?.stop()]);
    await pipeline?.stop();
    await pipeline?.purge();
  });

  it('counts every sample exactly once with credentials and TLS everywhere', async () => {
    const generator = new SampleGenerator({ seriesCount: 500, labelsPerSeries: 3, metricNames: 5, jitterMs: 5000, seed: SEED });
    const load = new ExactLoad(pipeline, producer, generator, topicNames(pipeline.opts.namespace).raw, 'e2e/secured', 120_000);
    await load.produce(20_000, 0);
    await load.expectExact('secured stack');
  });

  it('puts /ring and the alerter API behind HTTP_BEARER_TOKENS and leaves /healthz, /readyz, /metrics open', async () => {
    const shard = pipeline.shards.get('w0')!;
    const get = (port: number, path: string, token?: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: token ? { authorization: `Bearer ${token}`, accept: 'application/json' } : { accept: 'application/json' } });
    expect((await get(shard.port, '/ring')).status).toBe(401);
    expect((await get(shard.port, '/ring', 'not-the-token')).status).toBe(401);
    expect((await get(shard.port, '/ring', secrets.httpToken)).status).toBe(200);
    expect((await get(alerter.port, '/api/v1/alerts')).status).toBe(401);
    expect((await get(alerter.port, '/api/v1/alerts', secrets.httpToken)).status).toBe(200);
    for (const p of [shard, alerter, gateway, pipeline.ingest[0]!]) {
      for (const path of ['/healthz', '/readyz']) expect((await get(p.port, path)).status, `${p.name} ${path}`).toBe(200);
      const metrics = await get(p.port, '/metrics');
      expect(metrics.status).toBe(200);
      printed.push(await metrics.text());
    }
  });

  it('lets the CLI reach the secured stack with the same settings', async () => {
    const env = {
      ...process.env,
      ...pipeline.env,
      RINGTAIL_STACK_MODE: 'local',
      RINGTAIL_KAFKA_PORT: String(stack.topology.kafkaPort),
      RINGTAIL_REDIS_PORT: String(stack.topology.redisPrimaryPort),
      RINGTAIL_SENTINEL_PORT: String(stack.topology.sentinelPorts[0]),
    };
    const cli = async (...args: string[]) => {
      const r = await run(process.execPath, [CLI, ...args], { env, timeout: 60_000 });
      printed.push(r.stdout, r.stderr);
      return r.stdout;
    };
    expect(JSON.parse(await cli('ring', 'status', '--json')).members.length).toBe(2);
    expect(await cli('alerts')).toContain('no alerts');
    expect(await cli('stack', 'up', '--secure')).toContain(`KAFKA_SASL_PASSWORD_FILE=${stack.credentials.passwordFile('kafka')}`);
    for (const args of [['--help'], ['stack', '--help'], ['query', '--help'], ['produce', '--help']]) await cli(...args);
    // An error path too: a refused CLI prints its reason, never the password it tried.
    const refused = await run(process.execPath, [CLI, 'alerts'], { env: { ...env, REDIS_PASSWORD: `${secrets.redis}-x` }, timeout: 60_000 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    printed.push(refused.stdout, refused.stderr);
    expect(refused.stderr).toMatch(/Redis refused the credentials.*REDIS_PASSWORD/);
    expect(secureTopology().secure).toBe(true);
  });

  it('prints no secret in any log, /metrics page or CLI output', async () => {
    const logs = [...pipeline.ingest, ...pipeline.shards.values(), alerter, gateway].map((p) => readLog(p.logFile));
    const all = [...logs, ...printed].join('\n');
    // The search is over real output: the services logged at debug and the CLI printed its tables.
    expect(all).toContain('shard worker started');
    expect(all).toContain('alerter listening');
    expect(all).toContain('ringtail_');
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(8);
      expect(all.includes(value), `${name} appears in the output`).toBe(false);
    }
  });
});
