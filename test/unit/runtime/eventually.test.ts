import { describe, expect, it } from 'vitest';
import { eventually, WaitTimeoutError } from '@ringtail/runtime';

describe('eventually', () => {
  it('resolves with the first value that is neither undefined nor false', async () => {
    let calls = 0;
    const value = await eventually('the third call', 1000, () => (++calls < 3 ? (calls === 1 ? undefined : false) : `call ${calls}`), 1);
    expect(value).toBe('call 3');
  });

  it('treats a throwing check as not yet, and times out naming what it waited for with the last error as cause', async () => {
    const err = await eventually('a check that always throws', 30, () => {
      throw new Error('boom');
    }, 5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).message).toBe('timed out after 30 ms waiting for a check that always throws');
    expect(((err as WaitTimeoutError).cause as Error).message).toBe('boom');
  });

  it('waits for an async check', async () => {
    let ready = false;
    setTimeout(() => (ready = true), 20);
    await expect(eventually('ready', 1000, async () => ready, 2)).resolves.toBe(true);
  });
});
