import { describe, expect, it } from 'vitest';
import { blockSlots, blockStartMs, DEFAULT_RESOLUTIONS, encodeWindowBlock, windowStartMs } from '@ringtail/model';
import { CorruptBlockError, windowStarts } from '@ringtail/query';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import type { SeriesWindows } from '../../../services/alerter/src/domain/aggregate.ts';
import type { WindowQuery } from '../../../services/alerter/src/domain/window-source.ts';
import { MAX_KEYS_PER_CALL, redisWindowSource } from '../../../services/alerter/src/redis-window-source.ts';
import { withScripts } from '../../../services/alerter/src/scripts.ts';
import { namespacePerTest } from './support.ts';

const TEN_S = DEFAULT_RESOLUTIONS[0]!;
const RANGE_MS = 60_000;

describe('the alerter window source on Redis', () => {
  const t = namespacePerTest('window-source');

  /** A query of `metric{matchers}` over the minute before `nowMs`. */
  const queryAt = (nowMs: number) => (metric: string, matchers: WindowQuery['selector']['matchers'], aggregation: WindowQuery['aggregation']): WindowQuery => ({
    selector: { metric, matchers },
    fromMs: nowMs - RANGE_MS + 1,
    toMs: nowMs + 1,
    aggregation,
  });

  /** Reads `queries` as one tick, checks that each answer is what the query gets read alone, and returns the answers. */
  const readTick = async (queries: readonly WindowQuery[]) => {
    const source = redisWindowSource(withScripts(t.redis), t.keys, DEFAULT_RESOLUTIONS);
    const together = await source.read(queries);
    expect(together).toEqual(await Promise.all(queries.map(async (q) => (await source.read([q]))[0])));
    return together;
  };

  /** The series of an answer that is not an error. */
  const seriesOf = (answer: readonly SeriesWindows[] | Error | undefined): readonly SeriesWindows[] => {
    if (answer instanceof Error || answer === undefined) throw answer ?? new Error('no answer');
    return answer;
  };

  /** A block of the 10s resolution holding one closed window of `max` (and `min`) at `startMs`. */
  const writeBlock = async (seriesId: string, startMs: number, max: number) => {
    const block = blockStartMs(startMs, TEN_S);
    const bytes = encodeWindowBlock({
      startMs: block,
      stepMs: TEN_S.stepMs,
      slots: blockSlots(TEN_S),
      windows: [{ startMs, count: 2, sum: max + 1, min: 1, max, firstTsMs: startMs, first: 1, lastTsMs: startMs + 1, last: max }],
    });
    await t.redis.set(t.keys.block(seriesId, TEN_S.name, block), Buffer.from(bytes));
  };

  it('answers a tick of many queries like each query read alone, failing only the queries that cannot be read', async () => {
    const nowMs = Date.now();
    const at = (agoMs: number) => nowMs - agoMs;
    const writer = new WindowWriter(t.redis, t.namespace);
    await writer.write([
      { name: 'cpu', labels: { host: 'a' }, value: 3, timestampMs: at(40_000) },
      { name: 'cpu', labels: { host: 'a' }, value: 7, timestampMs: at(5_000) },
      { name: 'cpu', labels: { host: 'b' }, value: 2, timestampMs: at(5_000) },
      { name: 'disk', labels: { host: 'a' }, value: 1, timestampMs: at(5_000) },
      { name: 'broken', labels: { host: 'a' }, value: 1, timestampMs: at(5_000) },
    ]);
    // cpu{host="b"} has a closed window in a block, older than its hot one but inside the range.
    const closedStartMs = windowStartMs(at(30_000), TEN_S.stepMs);
    await writeBlock(WindowWriter.seriesId('cpu', { host: 'b' }), closedStartMs, 50);
    // disk's block does not decode; broken's index has the wrong type.
    const diskId = WindowWriter.seriesId('disk', { host: 'a' });
    await t.redis.set(t.keys.block(diskId, TEN_S.name, blockStartMs(closedStartMs, TEN_S)), Buffer.from([0xff, 0x00, 0x13]));
    await t.redis.multi().del(t.keys.seriesOfMetric('broken')).set(t.keys.seriesOfMetric('broken'), 'not a set').exec();

    const query = queryAt(nowMs);
    const queries = [
      query('cpu', [{ name: 'host', op: '=', value: 'a' }], 'max'),
      query('cpu', [{ name: 'host', op: '=', value: 'b' }], 'max'),
      query('cpu', [], 'sum'),
      query('disk', [], 'max'),
      query('nothing_here', [], 'max'),
      query('broken', [], 'max'),
      query('cpu', [{ name: 'host', op: '=~', value: 'b|c' }], 'count'),
    ];
    const together = await readTick(queries);

    const maxes = (i: number) => seriesOf(together[i]).map((s) => [s.labels, s.windows.map((w) => w.max)]);
    expect(maxes(0)).toEqual([[{ host: 'a' }, [3, 7]]]);
    expect(maxes(1)).toEqual([[{ host: 'b' }, [50, 2]]]);
    const sums = seriesOf(together[2]);
    expect(sums.map((s) => [s.labels.host, s.windows.map((w) => w.sum)]).sort()).toEqual([
      ['a', [3, 7]],
      ['b', [51, 2]],
    ]);
    expect(together[3]).toBeInstanceOf(CorruptBlockError);
    expect(together[4]).toEqual([]);
    expect(together[5]).toBeInstanceOf(Error);
    expect((together[5] as Error).message).toMatch(/WRONGTYPE/);
    const counts = seriesOf(together[6]);
    expect(counts.map((s) => [s.labels, s.windows.map((w) => w.count)])).toEqual([[{ host: 'b' }, [2, 1]]]);
  });

  it('spreads a large tick over several script calls and still answers each query like alone', async () => {
    const nowMs = Date.now();
    const writer = new WindowWriter(t.redis, t.namespace);
    const fromMs = nowMs - RANGE_MS + 1;
    // Enough series that one query of them all needs more keys than one call takes.
    const hosts = Array.from({ length: Math.ceil(MAX_KEYS_PER_CALL / windowStarts(TEN_S, fromMs, nowMs + 1).length) + 5 }, (_, i) => `h${i}`);
    const last = hosts.at(-1)!;
    await writer.write(hosts.map((host, i) => ({ name: 'mem', labels: { host }, value: i, timestampMs: nowMs - 5_000 })));
    // Closed windows in blocks, for series read in different calls.
    const closedStartMs = windowStartMs(nowMs - 30_000, TEN_S.stepMs);
    await writeBlock(WindowWriter.seriesId('mem', { host: 'h7' }), closedStartMs, 5_000);
    await writeBlock(WindowWriter.seriesId('mem', { host: last }), closedStartMs, 9_000);
    const query = (matchers: WindowQuery['selector']['matchers'], aggregation: WindowQuery['aggregation']) => queryAt(nowMs)('mem', matchers, aggregation);
    // All series (a call of its own), two small queries sharing the next call, all again (another), one more.
    const queries = [
      query([], 'max'),
      query([{ name: 'host', op: '=', value: 'h7' }], 'max'),
      query([{ name: 'host', op: '=', value: 'h8' }], 'last'),
      query([], 'sum'),
      query([{ name: 'host', op: '=', value: last }], 'count'),
    ];
    const together = await readTick(queries);
    const series = (i: number) => seriesOf(together[i]);
    expect(series(0)).toHaveLength(hosts.length);
    const maxOf = (host: string) => series(0).find((s) => s.labels.host === host)!.windows.map((w) => w.max);
    expect(maxOf('h7')).toEqual([5_000, 7]);
    expect(maxOf(last)).toEqual([9_000, hosts.length - 1]);
    expect(series(1)[0]!.windows.map((w) => w.max)).toEqual([5_000, 7]);
    expect(series(2)[0]!.windows.map((w) => w.last)).toEqual([8]);
    expect(series(3).find((s) => s.labels.host === 'h7')!.windows.map((w) => w.sum)).toEqual([5_001, 7]);
    expect(series(4)[0]!.windows.map((w) => w.count)).toEqual([2, 1]);
  });
});
