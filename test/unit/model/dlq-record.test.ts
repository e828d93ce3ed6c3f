import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, DLQ_SAMPLE_INDEX_HEADER, dlqHeaders } from '@ringtail/model';

describe('dlqHeaders', () => {
  it('carries reason, code, source coordinates and the sample index as strings', () => {
    const h = dlqHeaders({ code: 'SCHEMA', reason: '$[2].value: bad', sampleIndex: 2 }, { topic: 'metrics.raw', partition: 3, offset: 42 });
    expect(h).toEqual({
      [DLQ_HEADERS.reason]: '$[2].value: bad',
      [DLQ_HEADERS.code]: 'SCHEMA',
      [DLQ_HEADERS.rawTopic]: 'metrics.raw',
      [DLQ_HEADERS.rawPartition]: '3',
      [DLQ_HEADERS.rawOffset]: '42',
      [DLQ_SAMPLE_INDEX_HEADER]: '2',
    });
  });

  it('omits the sample index for a whole-message rejection', () => {
    const h = dlqHeaders({ code: 'INVALID_JSON', reason: '$: x' }, { topic: 't', partition: 0, offset: 0 });
    expect(h[DLQ_SAMPLE_INDEX_HEADER]).toBeUndefined();
  });
});
