import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ringtail/runtime';
import { loadConfig } from '@ringtail/ingest';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.rawPartitions).toBe(8);
    expect(c.shardSlots).toBe(64);
    expect(c.limits).toEqual({
      maxLabelsPerSeries: 32,
      maxNameLength: 200,
      maxLabelValueBytes: 1024,
      maxMessageBytes: 1024 * 1024,
      maxSamplesPerMessage: 10_000,
      maxSeriesPerMetric: 100_000,
      maxJsonDepth: 32,
    });
  });

  it('reads limits and the slot count from the environment', () => {
    const c = loadConfig({ SHARD_SLOTS: '16', MAX_LABELS_PER_SERIES: '4', RINGTAIL_NAMESPACE: 't-x.' });
    expect(c.shardSlots).toBe(16);
    expect(c.limits.maxLabelsPerSeries).toBe(4);
    expect(c.namespace).toBe('t-x.');
  });

  it('names the variable at fault', () => {
    expect(() => loadConfig({ MAX_MESSAGE_BYTES: 'lots' })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_MESSAGE_BYTES: 'lots' })).toThrow(/MAX_MESSAGE_BYTES/);
    expect(() => loadConfig({ SHARD_SLOTS: '0' })).toThrow(/SHARD_SLOTS/);
    expect(() => loadConfig({ SHARD_SLOTS: '5000' })).toThrow(/SHARD_SLOTS/);
  });
});
