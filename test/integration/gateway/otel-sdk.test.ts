import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLPMetricExporter as ProtobufExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { redisKeys } from '@ringtail/model';
import { querySeries, type SeriesRow } from '@ringtail/query';
import type { ServiceProcess } from '@ringtail/stack';
import { eventually } from '../../support/fixtures.ts';
import { startGatewayPipeline, type GatewayPipeline } from '../../support/gateway.ts';
import type { PipelineUnderTest } from '../../support/pipeline.ts';

const SCOPE = { otel_scope_name: 'ringtail-otel-test', otel_scope_version: '1.2.3' };

describe('gateway: OTLP from the OpenTelemetry JS SDK', () => {
  let bed: GatewayPipeline;
  let pipeline: PipelineUnderTest;
  let gateway: ServiceProcess;
  const t0 = Date.now();

  beforeAll(async () => {
    bed = await startGatewayPipeline('gwotel');
    ({ pipeline, gateway } = bed);
  });

  afterAll(async () => {
    await bed?.stop();
  });

  /** Records a counter, a gauge and a histogram through `exporter` and flushes them once. */
  async function exportOnce(exporter: PushMetricExporter, instance: string): Promise<void> {
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.namespace': 'shop', 'service.instance.id': instance, 'host.name': 'box-1' }),
      readers: [reader],
    });
    const meter = provider.getMeter(SCOPE.otel_scope_name, SCOPE.otel_scope_version);
    meter.createCounter('http.server.requests', { unit: '{request}' }).add(3, { 'http.route': '/cart' });
    meter.createGauge('room.temperature', { unit: 'Cel' }).record(21.5, { room: 'lab' });
    const histogram = meter.createHistogram('http.server.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
    for (const v of [5, 50, 500, 7]) histogram.record(v, { 'http.route': '/cart' });
    // shutdown() collects and exports once more: the same cumulative values again.
    await reader.forceFlush();
    await provider.shutdown();
  }

  async function query(selector: string): Promise<SeriesRow[]> {
    return querySeries(pipeline.redis, redisKeys(pipeline.opts.namespace), selector, { fromMs: t0 - 60_000, toMs: Date.now() + 60_000 });
  }

  /** The last value of each series matching `selector`, by its `le` label (or '' without one). */
  async function values(selector: string): Promise<Record<string, number>> {
    const rows = await query(selector);
    return Object.fromEntries(rows.map((r) => [r.series.labels.le ?? '', r.points.at(-1)!.last]));
  }

  for (const [encoding, makeExporter] of [
    ['protobuf', (url: string) => new ProtobufExporter({ url })],
    ['JSON', (url: string) => new JsonExporter({ url })],
  ] as const) {
    it(`translates a counter, a gauge and a histogram sent as OTLP ${encoding} the way the compatibility rules say`, async () => {
      const instance = `i-${encoding.toLowerCase()}`;
      await exportOnce(makeExporter(`http://127.0.0.1:${gateway.port}/v1/metrics`), instance);
      const target = `job="shop/checkout",instance="${instance}"`;
      // Seven series, each with its one sample: shard flushes land one partition at a time.
      const expected: [string, number][] = [
        ['http_server_requests_total', 1],
        ['room_temperature_celsius', 1],
        ['http_server_duration_milliseconds_bucket', 3],
        ['http_server_duration_milliseconds_sum', 1],
        ['http_server_duration_milliseconds_count', 1],
        ['target_info', 1],
      ];
      await eventually(`${encoding} series in Redis`, 60_000, async () => {
        for (const [name, series] of expected) {
          const rows = await query(`${name}{${target}}`);
          if (rows.length !== series || rows.some((r) => r.points.length === 0)) return undefined;
        }
        return true;
      });

      const [counter] = await query(`http_server_requests_total{${target}}`);
      expect(counter?.series.labels).toEqual({ job: 'shop/checkout', instance, http_route: '/cart', ...SCOPE });
      expect(counter?.points.map((p) => p.last)).toEqual([3]);
      const [gauge] = await query(`room_temperature_celsius{${target}}`);
      expect(gauge?.series.labels).toEqual({ job: 'shop/checkout', instance, room: 'lab', ...SCOPE });
      expect(gauge?.points.map((p) => p.last)).toEqual([21.5]);
      expect(await values(`http_server_duration_milliseconds_bucket{${target}}`)).toEqual({ '10': 2, '100': 3, '+Inf': 4 });
      expect(await values(`http_server_duration_milliseconds_sum{${target}}`)).toEqual({ '': 562 });
      expect(await values(`http_server_duration_milliseconds_count{${target}}`)).toEqual({ '': 4 });
      const [info] = await query(`target_info{${target}}`);
      expect(info?.series.labels).toMatchObject({ job: 'shop/checkout', instance, host_name: 'box-1' });
      expect(info?.points.map((p) => p.last)).toEqual([1]);
      // Every series got the same number of samples: one per export, none lost or doubled.
      const counts = new Set<number>();
      for (const [name] of expected) for (const r of await query(`${name}{${target}}`)) counts.add(r.points.reduce((n, p) => n + p.count, 0));
      expect(counts.size).toBe(1);
    });
  }
});
