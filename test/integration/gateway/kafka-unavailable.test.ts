import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RawSample } from '@ringtail/loadgen';
import { LocalStack, loadStackSettings, stackUp, type ServiceProcess } from '@ringtail/stack';
import { eventually } from '../../support/fixtures.ts';
import { REMOTE_WRITE_HEADERS, post, snappy, writeRequestBytes, startGatewayPipeline, type GatewayPipeline } from '../../support/gateway.ts';
import type { PipelineUnderTest } from '../../support/pipeline.ts';

const SENDERS = 8;
const SERIES_PER_REQUEST = 50;

/** Every attempt a sender made: its status and when it was answered. */
interface Attempt {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly atMs: number;
}

/** A sender as Prometheus behaves: retry on 429, 5xx and refused connections, honouring Retry-After. */
async function sendUntilTaken(url: string, body: Buffer, attempts: Attempt[]): Promise<void> {
  for (;;) {
    const answer = await post(url, body, REMOTE_WRITE_HEADERS);
    attempts.push({ status: answer.status, retryAfter: answer.retryAfter, atMs: Date.now() });
    if (answer.status >= 200 && answer.status < 300) return;
    if (answer.status !== 0 && answer.status !== 429 && answer.status < 500) throw new Error(`not retriable: ${answer.status} ${answer.text}`);
    await sleep(answer.retryAfter === null ? 500 : Number(answer.retryAfter) * 1000);
  }
}

describe('gateway: Kafka unavailable', () => {
  let bed: GatewayPipeline;
  let pipeline: PipelineUnderTest;
  let gateway: ServiceProcess;

  beforeAll(async () => {
    bed = await startGatewayPipeline('gwkafka', { GATEWAY_RETRY_AFTER_S: '1' });
    ({ pipeline, gateway } = bed);
  });

  afterAll(async () => {
    // Whatever happened, leave the broker running for the next test.
    await stackUp(loadStackSettings(process.env));
    await bed?.stop();
  });

  // Stopping the broker needs the local stack; in docker/external mode there is no process to stop.
  it.runIf(inject('stackMode') === 'local')(
    'answers 503 with Retry-After while the broker is down, never 2xx, and the retries after it is back count exactly once',
    async () => {
      const url = `http://127.0.0.1:${gateway.port}/api/v1/write`;
      const t0 = Date.now();
      const produced: RawSample[] = [];
      const request = (sender: number, round: number) => {
        const series = Array.from({ length: SERIES_PER_REQUEST }, (_, i) => ({
          name: 'gw_outage_total',
          labels: { sender: String(sender), series: String(i) },
          samples: [{ value: round * 10 + sender, timestamp: t0 + round * 1000 }],
        }));
        for (const s of series) produced.push({ name: s.name, labels: s.labels, value: s.samples[0]!.value, timestamp: s.samples[0]!.timestamp });
        return snappy(writeRequestBytes(series));
      };

      // Before the outage: plain success.
      for (let sender = 0; sender < SENDERS; sender++) expect((await post(url, request(sender, 0), REMOTE_WRITE_HEADERS)).status).toBe(204);

      const stack = new LocalStack(loadStackSettings(process.env).topology);
      await stack.stopKafka();
      const attempts: Attempt[][] = Array.from({ length: SENDERS }, () => []);
      let done = 0;
      const senders = attempts.map((list, sender) => sendUntilTaken(url, request(sender, 1), list).then(() => (done += 1)));

      // Every sender is refused, retriably, while the broker is down.
      await eventually('every sender refused twice', 60_000, async () => (attempts.every((a) => a.length >= 2) ? true : undefined));
      const restartAt = Date.now();
      expect(done).toBe(0);
      for (const a of attempts.flat()) {
        expect([429, 503]).toContain(a.status);
        expect(Number(a.retryAfter)).toBeGreaterThan(0);
      }

      await stackUp(loadStackSettings(process.env));
      await Promise.all(senders);
      expect(done).toBe(SENDERS);
      // No success was answered before the broker was started again.
      for (const a of attempts.flat()) if (a.status < 300) expect(a.atMs).toBeGreaterThan(restartAt);

      await eventually('every sample in Redis', 120_000, async () => ((await pipeline.appliedInEveryResolution(produced)) >= produced.length ? true : undefined));
      expect(await pipeline.mismatches(produced)).toEqual([]);
      expect(await pipeline.appliedCount(produced)).toBe(produced.length);
    },
  );
});
