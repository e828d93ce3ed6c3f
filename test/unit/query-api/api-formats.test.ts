import { describe, expect, it } from 'vitest';
import { PromqlSyntaxError, QueryLimitError, QueryTimeoutError, StorageUnavailableError, UnsupportedPromqlError } from '@ringtail/promql';
import { apiErrorOf, BadParameterError, instantData, NotFoundError, promFloat, rangeData } from '@ringtail/query-api';
import { durationParam, timeParam } from '../../../services/query/src/api-params.ts';

describe('query API formats', () => {
  it('prints values as Go does, without exponents', () => {
    expect(promFloat(2)).toBe('2');
    expect(promFloat(0.1)).toBe('0.1');
    expect(promFloat(1e-7)).toBe('0.0000001');
    expect(promFloat(-1.5e-10)).toBe('-0.00000000015');
    expect(promFloat(1e21)).toBe('1000000000000000000000');
    expect(promFloat(1.2345e22)).toBe('12345000000000000000000');
    expect(promFloat(NaN)).toBe('NaN');
    expect(promFloat(-Infinity)).toBe('-Inf');
  });

  it('takes times as Unix seconds or RFC 3339, durations as seconds or Prometheus durations', () => {
    const p = new URLSearchParams({ a: '1700000000.5', b: '2023-11-14T22:13:20Z', c: 'soon', s: '15', d: '1m30s', f: '0.5' });
    expect(timeParam(p, 'a')).toBe(1_700_000_000_500);
    expect(timeParam(p, 'b')).toBe(1_700_000_000_000);
    expect(timeParam(p, 'missing', 42)).toBe(42);
    expect(() => timeParam(p, 'c')).toThrow(BadParameterError);
    expect(() => timeParam(p, 'c')).toThrow('invalid parameter "c": cannot parse "soon" to a valid timestamp');
    expect(durationParam(p, 's')).toBe(15_000);
    expect(durationParam(p, 'd')).toBe(90_000);
    expect(durationParam(p, 'f')).toBe(500);
    expect(() => durationParam(p, 'c')).toThrow('to a valid duration');
  });

  it('maps every error onto Prometheus error types and statuses', () => {
    const cases: [unknown, string, number][] = [
      [new PromqlSyntaxError(3, 'x'), 'bad_data', 400],
      [new UnsupportedPromqlError('irate'), 'bad_data', 400],
      [new BadParameterError('step', 'x'), 'bad_data', 400],
      [new QueryLimitError('too many', 'QUERY_MAX_SERIES'), 'execution', 422],
      [new QueryLimitError('points', 'QUERY_MAX_POINTS_PER_SERIES', 'bad_data'), 'bad_data', 400],
      [new QueryTimeoutError(5, 'QUERY_TIMEOUT_MS'), 'timeout', 503],
      [new StorageUnavailableError({ cause: new Error('down') }), 'unavailable', 503],
      [new NotFoundError('no'), 'not_found', 404],
      [new TypeError('a bug'), 'internal', 500],
    ];
    for (const [err, errorType, status] of cases) expect(apiErrorOf(err)).toMatchObject({ errorType, status });
    expect(apiErrorOf(new TypeError('secret detail')).message).toBe('internal error');
  });

  it('shapes instant and range answers as Prometheus does', () => {
    expect(instantData({ resultType: 'scalar', series: [{ labels: {}, points: [[1_700_000_000_123, 2]] }] }, 1_700_000_000_123)).toEqual({ resultType: 'scalar', result: [1_700_000_000.123, '2'] });
    expect(instantData({ resultType: 'string', value: 'hi' }, 1000)).toEqual({ resultType: 'string', result: [1, 'hi'] });
    expect(rangeData({ resultType: 'vector', series: [{ labels: { b: '1' }, points: [[1000, 1]] }, { labels: { a: '1' }, points: [[1000, 2], [2000, 3]] }] })).toEqual({
      resultType: 'matrix',
      result: [
        { metric: { a: '1' }, values: [[1, '2'], [2, '3']] },
        { metric: { b: '1' }, values: [[1, '1']] },
      ],
    });
  });
});
