import { describe, expect, it } from 'vitest';
import { prometheusLabelName, prometheusMetricName, unitSuffix } from '@ringtail/gateway';

describe('OTLP → Prometheus names', () => {
  it.each([
    ['http.server.duration', 'ms', 'histogram', 'http_server_duration_milliseconds'],
    ['http.server.requests', '{request}', 'counter', 'http_server_requests_total'],
    ['system.memory.usage', 'By', 'gauge', 'system_memory_usage_bytes'],
    ['system.cpu.utilization', '1', 'gauge', 'system_cpu_utilization_ratio'],
    ['items.done', '1', 'counter', 'items_done_total'],
    ['network.io', 'By/s', 'gauge', 'network_io_bytes_per_second'],
    ['queue.rate', '{job}/min', 'gauge', 'queue_rate_per_minute'],
    ['queue.speed', '/s', 'gauge', 'queue_speed_per_second'],
    ['process.cpu.time.seconds', 's', 'counter', 'process_cpu_time_seconds_total'],
    ['jobs_total', '', 'counter', 'jobs_total'],
    ['weird..name--x', '', 'gauge', 'weird_name_x'],
    ['9lives', '', 'gauge', '_9lives'],
    ['room.temperature', 'Cel', 'gauge', 'room_temperature_celsius'],
    ['odd.unit', 'furlongs', 'gauge', 'odd_unit_furlongs'],
  ] as const)('names %s [%s] as a %s %s', (name, unit, kind, want) => {
    expect(prometheusMetricName(name, unit, kind)).toBe(want);
  });

  it('drops bracketed annotations and spells out per-units', () => {
    expect(unitSuffix('{packet}', 'counter')).toBe('');
    expect(unitSuffix('ms/h', 'gauge')).toBe('milliseconds_per_hour');
  });

  it.each([
    ['http.route', 'http_route'],
    ['service.instance.id', 'service_instance_id'],
    ['2xx', 'key_2xx'],
    ['a..b', 'a_b'],
    ['_private', '_private'],
  ])('turns attribute %s into label %s', (key, want) => {
    expect(prometheusLabelName(key)).toBe(want);
  });
});
