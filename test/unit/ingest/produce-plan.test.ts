import { describe, expect, it } from 'vitest';
import { messageBytes, planProduceRequests } from '@ringtail/ingest';

const msg = (n: number, tag: string) => ({ value: Buffer.from(tag.padEnd(n, '.')) });

describe('planProduceRequests', () => {
  it('keeps each partition of each request under the byte budget, in order', () => {
    const messages = Array.from({ length: 10 }, (_, i) => msg(300, `a${i}`));
    const requests = planProduceRequests([{ topic: 't', partition: 2, messages }], 1000);
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) for (const tm of r) expect(tm.messages.reduce((s, m) => s + messageBytes(m), 0)).toBeLessThanOrEqual(1000);
    const order = requests.flatMap((r) => r.flatMap((tm) => tm.messages.map((m) => String(m.value).split('.')[0])));
    expect(order).toEqual(messages.map((_, i) => `a${i}`));
    expect(requests.every((r) => r.every((tm) => tm.messages.every((m) => m.partition === 2)))).toBe(true);
  });

  it('sends a message larger than the budget alone instead of dropping it', () => {
    const requests = planProduceRequests([{ topic: 't', partition: 0, messages: [msg(10, 'a'), msg(5000, 'big'), msg(10, 'c')] }], 1000);
    expect(requests.map((r) => r[0]?.messages.length)).toEqual([1, 1, 1]);
  });

  it('puts several topics into the same request when they fit', () => {
    const requests = planProduceRequests(
      [
        { topic: 'x', partition: 0, messages: [msg(10, 'a')] },
        { topic: 'y', partition: 1, messages: [msg(10, 'b')] },
      ],
      1000,
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]?.map((tm) => tm.topic)).toEqual(['x', 'y']);
  });

  it('plans nothing for no messages', () => {
    expect(planProduceRequests([], 1000)).toEqual([]);
  });
});
