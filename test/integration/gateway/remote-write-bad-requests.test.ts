import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS, topicNames } from '@ringtail/model';
import type { RawSample } from '@ringtail/loadgen';
import type { ServiceProcess } from '@ringtail/stack';
import { eventually } from '../../support/fixtures.ts';
import { REMOTE_WRITE_HEADERS, post, readRecords, snappy, writeRequestBytes, type SeriesSamples, startGatewayPipeline, type GatewayPipeline } from '../../support/gateway.ts';
import type { PipelineUnderTest } from '../../support/pipeline.ts';

const TOKEN = 'tok-remote-write-test';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const MAX_SAMPLES = 1000;

/** GETs `url` through `agent`; resolves with whether the request went over a reused connection. */
function getReused(agent: Agent, url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(req.reusedSocket));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Prometheus' stale marker: the NaN with bits 0x7ff0000000000002. */
function staleMarker(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff00000);
  view.setUint32(4, 0x00000002);
  return view.getFloat64(0);
}

describe('gateway: remote write refusals and partial acceptance', () => {
  let bed: GatewayPipeline;
  let pipeline: PipelineUnderTest;
  let gateway: ServiceProcess;
  let url: string;
  const valid: RawSample[] = [];
  const t0 = Date.now();

  function series(name: string, labels: Record<string, string>, values: readonly number[]): SeriesSamples {
    const samples = values.map((value, i) => ({ value, timestamp: t0 + i * 1000 }));
    return { name, labels, samples };
  }
  /** A series whose samples must be counted, once. */
  function good(name: string, labels: Record<string, string>, values: readonly number[]): SeriesSamples {
    const s = series(name, labels, values);
    for (const x of s.samples) valid.push({ name, labels, value: x.value, timestamp: x.timestamp });
    return s;
  }

  beforeAll(async () => {
    bed = await startGatewayPipeline('gwbad', { GATEWAY_BEARER_TOKENS: `other-token ${TOKEN}`, GATEWAY_MAX_SAMPLES_PER_REQUEST: String(MAX_SAMPLES), GATEWAY_MAX_PENDING_SAMPLES: '500' });
    ({ pipeline, gateway } = bed);
    url = `http://127.0.0.1:${gateway.port}/api/v1/write`;
  });

  afterAll(async () => {
    await bed?.stop();
  });

  it('answers each bad request with its status and reason, takes the valid samples of a mixed one exactly once', async () => {
    const body = snappy(writeRequestBytes([series('gw_refused_total', { case: 'whole' }, [1, 2, 3])]));
    const refusals: { what: string; answer: Promise<Awaited<ReturnType<typeof post>>>; status: number; reason: RegExp }[] = [
      { what: 'wrong content type', answer: post(url, body, { ...REMOTE_WRITE_HEADERS, ...AUTH, 'content-type': 'application/json' }), status: 415, reason: /Content-Type application\/x-protobuf/ },
      { what: 'wrong encoding', answer: post(url, body, { ...REMOTE_WRITE_HEADERS, ...AUTH, 'content-encoding': 'gzip' }), status: 415, reason: /Content-Encoding snappy/ },
      { what: 'remote write 2.0', answer: post(url, body, { ...REMOTE_WRITE_HEADERS, ...AUTH, 'x-prometheus-remote-write-version': '2.0.0' }), status: 415, reason: /only remote write 1\.0/ },
      { what: 'no token', answer: post(url, body, { ...REMOTE_WRITE_HEADERS }), status: 401, reason: /missing bearer token/ },
      { what: 'wrong token', answer: post(url, body, { ...REMOTE_WRITE_HEADERS, authorization: 'Bearer nope' }), status: 401, reason: /unknown bearer token/ },
      {
        what: 'corrupt snappy',
        answer: post(url, Buffer.concat([Buffer.from([0x40]), Buffer.from('this is not a snappy stream at all, not even close....')]), { ...REMOTE_WRITE_HEADERS, ...AUTH }),
        status: 400,
        reason: /corrupt snappy block/,
      },
      {
        what: 'truncated protobuf',
        answer: post(url, snappy(writeRequestBytes([series('gw_refused_total', { case: 'truncated' }, [1, 2, 3])]).subarray(0, -5)), { ...REMOTE_WRITE_HEADERS, ...AUTH }),
        status: 400,
        reason: /not a remote write WriteRequest/,
      },
      // 48 MiB of zeros compress to about 2 MiB: under the body limit, over the decompressed one.
      { what: 'decompression bomb', answer: post(url, snappy(Buffer.alloc(48 * 1024 * 1024)), { ...REMOTE_WRITE_HEADERS, ...AUTH }), status: 413, reason: /declares 50331648 decompressed bytes, over GATEWAY_MAX_DECOMPRESSED_BYTES/ },
      // A preamble claiming 4 GiB on a 6-byte body: refused before anything is allocated.
      { what: 'lying preamble', answer: post(url, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10, 0x00]), { ...REMOTE_WRITE_HEADERS, ...AUTH }), status: 413, reason: /declares 4294967296 decompressed bytes/ },
      { what: 'oversized body', answer: post(url, Buffer.alloc(5 * 1024 * 1024, 7), { ...REMOTE_WRITE_HEADERS, ...AUTH }), status: 413, reason: /over GATEWAY_MAX_BODY_BYTES=4194304/ },
      {
        what: 'too many samples',
        answer: post(url, snappy(writeRequestBytes([series('gw_refused_total', { case: 'many' }, Array.from({ length: MAX_SAMPLES + 1 }, (_, i) => i))])), { ...REMOTE_WRITE_HEADERS, ...AUTH }),
        status: 413,
        reason: /1001 samples, over GATEWAY_MAX_SAMPLES_PER_REQUEST=1000/,
      },
    ];
    for (const r of refusals) {
      const answer = await r.answer;
      expect.soft(answer.status, r.what).toBe(r.status);
      expect.soft(answer.text, r.what).toMatch(r.reason);
    }

    // Valid and invalid samples in one request: 400 with every reason, the valid rest taken.
    const stale = staleMarker();
    const mixed = snappy(
      writeRequestBytes([
        good('gw_mixed_total', { host: 'a' }, [1, 2, 3, 4]),
        { ...series('gw_mixed_total', { host: 'nan' }, [Number.NaN]) },
        { ...series('gw_mixed_total', { host: 'inf' }, [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) },
        { ...series('gw_mixed_total', { 'bad-label': 'x' }, [5]) },
        { ...series('gw_mixed_total', { '1digit': 'x' }, [6]) },
        // The stale marker ends a series: dropped and counted, not an error.
        { name: 'gw_mixed_total', labels: { host: 'gone' }, samples: [{ value: stale, timestamp: t0 }] },
        good('gw_mixed_seconds', { host: 'b' }, [0.5, 0.25]),
      ]),
    );
    const answer = await post(url, mixed, { ...REMOTE_WRITE_HEADERS, ...AUTH });
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/^5 samples rejected \(6 accepted\)/);
    expect(answer.text).toMatch(/NON_FINITE_VALUE: gw_mixed_total\{host="nan"\}/);
    expect(answer.text).toMatch(/NON_FINITE_VALUE: gw_mixed_total\{host="inf"\}/);
    expect(answer.text).toMatch(/INVALID_LABEL_NAME: gw_mixed_total\{bad-label="x"\}.*does not match/);
    expect(answer.text).toMatch(/INVALID_LABEL_NAME: gw_mixed_total\{1digit="x"\}/);

    // An all-valid request with a stale marker is a plain success.
    const clean = snappy(writeRequestBytes([good('gw_clean', { host: 'c' }, [7, 8]), { name: 'gw_clean', labels: { host: 'gone' }, samples: [{ value: stale, timestamp: t0 }] }]));
    expect((await post(url, clean, { ...REMOTE_WRITE_HEADERS, ...AUTH })).status).toBe(204);

    // OTLP refuses what it does not speak the same way.
    const otlpUrl = `http://127.0.0.1:${gateway.port}/v1/metrics`;
    const wrongType = await post(otlpUrl, Buffer.from('{}'), { 'content-type': 'text/plain', ...AUTH });
    expect(wrongType.status).toBe(415);
    const badJson = await post(otlpUrl, Buffer.from('{"resourceMetrics": [ {'), { 'content-type': 'application/json', ...AUTH });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.text)).toMatchObject({ code: 3, message: expect.stringMatching(/not an OTLP ExportMetricsServiceRequest/) });

    // A burst over GATEWAY_MAX_PENDING_SAMPLES: some requests are told to come back (503, as
    // Prometheus retries it), and each sender's retry is then counted once.
    const burst = Array.from({ length: 12 }, (_, b) => snappy(writeRequestBytes([good('gw_burst', { b: String(b) }, Array.from({ length: 300 }, (_, i) => i))])));
    const overloaded: string[] = [];
    await Promise.all(
      burst.map(async (request) => {
        for (;;) {
          const a = await post(url, request, { ...REMOTE_WRITE_HEADERS, ...AUTH });
          if (a.status === 204) return;
          expect(a.status).toBe(503);
          expect(a.retryAfter).not.toBeNull();
          overloaded.push(a.text);
        }
      }),
    );
    expect(overloaded.length).toBeGreaterThan(0);
    expect(overloaded[0]).toMatch(/samples wait for Kafka, over GATEWAY_MAX_PENDING_SAMPLES=500/);

    expect((await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).status).toBe(200);

    const topics = topicNames(pipeline.opts.namespace);
    const dlq = await readRecords(pipeline.kafka, topics.dlq, 5);
    expect(dlq).toHaveLength(5);
    const codes = dlq.map((r) => r.headers[DLQ_HEADERS.code]).sort();
    expect(codes).toEqual(['INVALID_LABEL_NAME', 'INVALID_LABEL_NAME', 'NON_FINITE_VALUE', 'NON_FINITE_VALUE', 'NON_FINITE_VALUE']);
    for (const r of dlq) {
      expect(r.headers[DLQ_HEADERS.gatewayProtocol]).toBe('remote-write');
      expect(r.headers[DLQ_HEADERS.reason]).toMatch(/^gw_mixed_total\{/);
    }
    expect(dlq.map((r) => (JSON.parse(r.value) as { value: unknown }).value).sort()).toEqual([5, 6, '+Inf', '-Inf', 'NaN'].sort());

    // A sender's idle connection outlives Node's 5 s keep-alive default (Prometheus posts
    // every few seconds); checked while the samples make their way to Redis.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const healthz = `http://127.0.0.1:${gateway.port}/healthz`;
    const keptAlive = getReused(agent, healthz).then(async () => {
      await sleep(6000);
      return getReused(agent, healthz);
    });

    // Every valid sample counted once, in every window; nothing else arrived.
    await eventually('valid samples in Redis', 60_000, async () => ((await pipeline.appliedInEveryResolution(valid)) >= valid.length ? true : undefined));
    expect(await pipeline.mismatches(valid)).toEqual([]);
    expect(await pipeline.appliedCount(valid)).toBe(valid.length);
    expect(await keptAlive).toBe(true);
    agent.destroy();
    expect(await gateway.metric('ringtail_gateway_samples_total', { outcome: 'stale', protocol: 'remote-write' })).toBe(2);
    expect(await gateway.metric('ringtail_gateway_samples_total', { outcome: 'accepted', protocol: 'remote-write' })).toBe(3608);
  });
});
