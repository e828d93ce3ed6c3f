import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { CHANGE_FIELDS, alerterKeys, redisKeys, type RedisKeys } from '@ringtail/model';
import { ChangeFollower } from '../../../services/alerter/src/change-follower.ts';
import { randomNamespace, stackEndpoints } from '../../support/fixtures.ts';
import { testRedis } from './support.ts';

const SLOTS = 4;

describe('ChangeFollower on Redis streams', () => {
  let redis: Redis;
  let blocking: Redis;
  let keys: RedisKeys;
  let cursorKey: string;
  let namespace: string;

  beforeEach(() => {
    namespace = randomNamespace('change-follower');
    keys = redisKeys(namespace, SLOTS);
    cursorKey = alerterKeys(namespace).changeCursors;
    redis = testRedis(stackEndpoints());
    blocking = testRedis(stackEndpoints());
  });

  afterEach(async () => {
    const stale = await redis.keys(keys.scanPattern);
    if (stale.length > 0) await redis.del(...stale);
    redis.disconnect();
    blocking.disconnect();
  });

  const announce = (slot: number, ...ids: string[]) => redis.xadd(keys.changes(slot), '*', CHANGE_FIELDS.series, ids.join(','), CHANGE_FIELDS.windows, '') as Promise<string>;
  const follower = () => new ChangeFollower(blocking, redis, keys, cursorKey);

  it('starts a slot without a cursor at its end, asks for a full evaluation, and resumes after a saved cursor', async () => {
    await announce(1, 'old');
    await announce(2, 'old');
    const first = follower();
    const start = await first.load();
    expect(start.needsFullEvaluation).toBe(true);
    expect(start.gapSlots).toBe(0);
    await first.save(start.initialCursors);

    const id = await announce(1, 'a', 'b');
    await announce(2, 'b');
    const batch = (await first.next(1000))!;
    expect([...batch.seriesIds].sort()).toEqual(['a', 'b']);
    expect(batch.entries).toBe(2);
    expect(await first.trimmedBefore(batch)).toBe(false);
    expect(batch.cursors.get(1)).toBe(id);
    // Slot 1's entry came first: the batch is as old as it.
    expect(batch.oldestEntryMs).toBe(Number(id.split('-')[0]));
    // Not saved: a restarted follower reads the same entries again.
    const again = follower();
    expect((await again.load()).needsFullEvaluation).toBe(false);
    expect([...(await again.next(1000))!.seriesIds].sort()).toEqual(['a', 'b']);

    await first.save(batch.cursors);
    const resumed = follower();
    expect(await resumed.load()).toMatchObject({ needsFullEvaluation: false, gapSlots: 0 });
    expect(await resumed.next(100)).toBeNull();
  });

  it('reports a gap when entries after the cursor were trimmed unread, at load and while following', async () => {
    const f = follower();
    await announce(0, 'x');
    await f.save((await f.load()).initialCursors);
    await announce(0, 'lost');
    await announce(0, 'kept');
    await redis.xtrim(keys.changes(0), 'MAXLEN', 1);
    const start = await follower().load();
    expect(start).toMatchObject({ needsFullEvaluation: true, gapSlots: 1 });

    // The first follower is still at 'x': its next read finds 'lost' gone.
    const batch = (await f.next(1000))!;
    expect([...batch.seriesIds]).toEqual(['kept']);
    expect(await f.trimmedBefore(batch)).toBe(true);
    await announce(0, 'next');
    expect(await f.trimmedBefore((await f.next(1000))!)).toBe(false);
  });
});
