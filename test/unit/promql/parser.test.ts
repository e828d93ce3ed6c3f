import { describe, expect, it } from 'vitest';
import { parsePromql, PromqlSyntaxError, typeOf, UnsupportedPromqlError } from '@ringtail/promql';

describe('parsePromql', () => {
  it('parses number literals and arithmetic between them', () => {
    expect(parsePromql('1+1')).toMatchObject({ kind: 'binary', op: '+', lhs: { kind: 'number', value: 1 }, rhs: { kind: 'number', value: 1 } });
    expect(parsePromql('-0x10')).toEqual({ kind: 'number', value: -16 });
    expect(parsePromql('Inf')).toEqual({ kind: 'number', value: Infinity });
    expect(typeOf(parsePromql('2 ^ 3 * 4'))).toBe('scalar');
  });

  it('parses vector selectors with all four matchers, quoted names and offset', () => {
    expect(parsePromql(`node_load1{job="node",instance!="x",mode=~"i.*",cpu!~'1|2'} offset 5m`)).toEqual({
      kind: 'vector',
      offsetMs: 300_000,
      matchers: [
        { name: '__name__', op: '=', value: 'node_load1' },
        { name: 'job', op: '=', value: 'node' },
        { name: 'instance', op: '!=', value: 'x' },
        { name: 'mode', op: '=~', value: 'i.*' },
        { name: 'cpu', op: '!~', value: '1|2' },
      ],
    });
    expect(parsePromql('{__name__=~"node_.+"}')).toMatchObject({ kind: 'vector', matchers: [{ name: '__name__', op: '=~', value: 'node_.+' }] });
    expect(parsePromql('{"my.metric", "a b"="c\\n"}')).toMatchObject({ matchers: [{ name: '__name__', value: 'my.metric' }, { name: 'a b', value: 'c\n' }] });
  });

  it('parses range functions over range selectors, with offset after the range', () => {
    expect(parsePromql('rate(http_requests_total[1m30s] offset 1h)')).toMatchObject({
      kind: 'call',
      func: 'rate',
      arg: { kind: 'matrix', rangeMs: 90_000, selector: { offsetMs: 3_600_000 } },
    });
  });

  it('parses aggregations with by, without, and topk parameters', () => {
    expect(parsePromql('sum by (job) (rate(x[5m]))')).toMatchObject({ kind: 'aggregate', op: 'sum', grouping: ['job'], without: false });
    expect(parsePromql('avg(x) without (cpu, mode)')).toMatchObject({ kind: 'aggregate', op: 'avg', grouping: ['cpu', 'mode'], without: true });
    expect(parsePromql('topk(3, x)')).toMatchObject({ kind: 'aggregate', op: 'topk', param: { kind: 'number', value: 3 } });
  });

  it('parses vector matching modifiers', () => {
    expect(parsePromql('a / on(job) group_left(instance) b')).toMatchObject({ matching: { card: 'many-to-one', on: true, labels: ['job'], include: ['instance'] } });
    expect(parsePromql('a > bool ignoring(cpu) b')).toMatchObject({ returnBool: true, matching: { card: 'one-to-one', on: false, labels: ['cpu'] } });
    expect(parsePromql('a and b')).toMatchObject({ op: 'and', matching: { card: 'many-to-many' } });
  });

  it.each([
    ['sum(x', 'unexpected end of input'],
    ['x{a="b"', 'unexpected end of input'],
    ['x{a=~"("}', 'error parsing regexp'],
    ['{a=""}', 'vector selector must contain at least one non-empty matcher'],
    ['1 > 2', 'comparisons between scalars must use BOOL modifier'],
    ['rate(x)', 'expected type range vector in call to function "rate", got vector'],
    ['sum(x[5m])', 'expected type instant vector in aggregation expression, got matrix'],
    ['(x + y)[5m]', 'ranges only allowed for vector selectors'],
    ['x[0s]', 'range must be greater than 0'],
    ['1 and 2', 'set operator "and" not allowed in binary scalar expression'],
    ['x )', 'unexpected'],
  ])('refuses malformed %s with a syntax error naming the problem', (q, reason) => {
    const err = (() => {
      try {
        parsePromql(q);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PromqlSyntaxError);
    expect((err as PromqlSyntaxError).message).toContain(reason);
    expect((err as PromqlSyntaxError).errorType).toBe('bad_data');
  });

  it.each([
    ['irate(x[5m])', 'function irate()'],
    ['histogram_quantile(0.9, x)', 'function histogram_quantile()'],
    ['quantile(0.9, x)', 'aggregation quantile'],
    ['rate(x[5m:1m])', 'subquery'],
    ['x @ 1700000000', '@ modifier'],
    ['x atan2 y', 'operator atan2'],
  ])('refuses valid but unsupported %s naming the construct', (q, construct) => {
    expect(() => parsePromql(q)).toThrow(UnsupportedPromqlError);
    expect(() => parsePromql(q)).toThrow(construct);
  });
});
