import { describe, expect, it } from 'vitest';
import { convertExportRequest, convertWriteRequest, isStaleMarker } from '@ringtail/gateway';

const STALE = new DataView(Uint8Array.from([0x7f, 0xf0, 0, 0, 0, 0, 0, 0x02]).buffer).getFloat64(0);
const NS = 1_700_000_000_123_456_789n;

describe('remote write conversion', () => {
  it('takes __name__ as the name, keeps timestamps, counts stale markers and rejects duplicate labels and native histograms', () => {
    const c = convertWriteRequest({
      timeseries: [
        { labels: [{ name: '__name__', value: 'up' }, { name: 'job', value: 'node' }], samples: [{ value: 1, timestamp: 1000 }, { value: STALE, timestamp: 2000 }] },
        { labels: [{ name: '__name__', value: 'dup' }, { name: 'a', value: '1' }, { name: 'a', value: '2' }], samples: [{ value: 3, timestamp: 1000 }] },
        { labels: [{ name: '__name__', value: 'hist' }], histograms: [new Uint8Array([1])] },
      ],
    });
    expect(c.candidates).toEqual([{ name: 'up', labels: { job: 'node' }, value: 1, timestamp: 1000, point: 0 }]);
    expect(c.stale).toBe(1);
    expect(c.rejected.map((r) => r.rejection.code)).toEqual(['INVALID_LABEL_NAME', 'UNSUPPORTED_TYPE']);
    expect(c.rejected[0]!.rejection.reason).toMatch(/label "a" appears twice/);
  });

  it('tells the stale marker from an ordinary NaN', () => {
    expect(isStaleMarker(STALE)).toBe(true);
    expect(isStaleMarker(Number.NaN)).toBe(false);
    expect(isStaleMarker(0)).toBe(false);
  });
});

describe('OTLP conversion', () => {
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }, { key: 'service.instance.id', value: { stringValue: 'i1' } }, { key: 'region', value: { stringValue: 'eu' } }] };
  const scope = { name: 'lib', version: '2' };
  const base = { otel_scope_name: 'lib', otel_scope_version: '2', job: 'api', instance: 'i1' };

  it('makes counters, gauges, histogram buckets and target_info, in milliseconds', () => {
    const c = convertExportRequest({
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              scope,
              metrics: [
                { name: 'reqs', unit: '1', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: 5, timeUnixNano: Number(NS), attributes: [{ key: 'a.b', value: { stringValue: 'x' } }, { key: 'a_b', value: { intValue: 7 } }] }] } },
                { name: 'temp', unit: 'Cel', gauge: { dataPoints: [{ asDouble: 1.5, timeUnixNano: 2_000_000 }] } },
                { name: 'lat', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [{ count: 3, sum: 1.5, bucketCounts: [1, 1, 1], explicitBounds: [0.1, 1], timeUnixNano: 3_000_000 }] } },
              ],
            },
          ],
        },
      ],
    });
    expect(c.rejected).toEqual([]);
    const byName = c.candidates.map((x) => [x.name, x.labels, x.value, x.timestamp]);
    const ms = Math.floor(Number(NS) / 1e6);
    expect(byName).toEqual([
      ['reqs_total', { a_b: 'x;7', ...base }, 5, ms],
      ['temp_celsius', base, 1.5, 2],
      ['lat_seconds_bucket', { ...base, le: '0.1' }, 1, 3],
      ['lat_seconds_bucket', { ...base, le: '1' }, 2, 3],
      ['lat_seconds_bucket', { ...base, le: '+Inf' }, 3, 3],
      ['lat_seconds_sum', base, 1.5, 3],
      ['lat_seconds_count', base, 3, 3],
      ['target_info', { job: 'api', instance: 'i1', region: 'eu' }, 1, ms],
    ]);
  });

  it('rejects delta temporality and exponential histograms, and counts points without a recorded value as stale', () => {
    const c = convertExportRequest({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'd', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: 1 }, { asInt: 2 }] } },
                { name: 'e', exponentialHistogram: { dataPoints: [{}] } },
                { name: 'g', gauge: { dataPoints: [{ asDouble: 1, flags: 1 }] } },
              ],
            },
          ],
        },
      ],
    });
    expect(c.candidates).toEqual([]);
    expect(c.stale).toBe(1);
    expect(c.rejected.map((r) => [r.rejection.code, r.point])).toEqual([
      ['UNSUPPORTED_TYPE', 0],
      ['UNSUPPORTED_TYPE', 1],
      ['UNSUPPORTED_TYPE', 2],
    ]);
    expect(c.rejected[0]!.rejection.reason).toMatch(/cumulative temporality/);
  });
});
