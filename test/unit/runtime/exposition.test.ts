import { describe, expect, it } from 'vitest';
import { Counter, createMetricsRegistry, Histogram, metricValue, parseExposition } from '@ringtail/runtime';

describe('the metrics registry', () => {
  it('exposes prom-client metrics with the default process and event-loop metrics', async () => {
    const registry = createMetricsRegistry();
    const c = new Counter({ name: 'ringtail_test_total', help: 'x', labelNames: ['code'] as const, registers: [registry] });
    c.inc({ code: 'A' }, 2);
    c.inc({ code: 'B"\\\n' });
    new Histogram({ name: 'ringtail_test_ms', help: 'y', buckets: [1, 10], registers: [registry] }).observe(5);
    const samples = parseExposition(await registry.metrics());
    expect(metricValue(samples, 'ringtail_test_total', { code: 'A' })).toBe(2);
    expect(metricValue(samples, 'ringtail_test_total', { code: 'B"\\\n' })).toBe(1);
    expect(metricValue(samples, 'ringtail_test_total')).toBe(3);
    expect(metricValue(samples, 'ringtail_test_ms_bucket', { le: '1' })).toBe(0);
    expect(metricValue(samples, 'ringtail_test_ms_bucket', { le: '+Inf' })).toBe(1);
    expect(metricValue(samples, 'ringtail_test_ms_sum')).toBe(5);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(metricValue(samples, name), name).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('parseExposition', () => {
  it('keeps a labelled sample apart from the unlabelled one of the same name', () => {
    const samples = parseExposition('# HELP x h\n# TYPE x counter\nx{code="a,b}"} 4\nx 1 1700000000000\ny_total NaN\nz +Inf\n');
    expect(samples).toEqual([
      { name: 'x', labels: { code: 'a,b}' }, value: 4 },
      { name: 'x', labels: {}, value: 1 },
      { name: 'y_total', labels: {}, value: NaN },
      { name: 'z', labels: {}, value: Infinity },
    ]);
    expect(metricValue(samples, 'x', { code: 'a,b}' })).toBe(4);
    expect(metricValue(samples, 'nope')).toBeUndefined();
  });

  it.each(['x{a="1"', 'x{a=1} 2', 'x{a="\\q"} 1', 'x', '{a="1"} 2', 'x one'])('throws on the malformed line %j', (line) => {
    expect(() => parseExposition(line)).toThrow();
  });
});
