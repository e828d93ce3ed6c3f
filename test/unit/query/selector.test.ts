import { describe, expect, it } from 'vitest';
import { SelectorSyntaxError, labelPredicate, parseSelector } from '@ringtail/query';

describe('parseSelector', () => {
  it('parses a bare metric name', () => {
    expect(parseSelector('http_requests_total')).toEqual({ metric: 'http_requests_total', matchers: [] });
  });

  it('parses all four matcher kinds, spaces, quotes and escapes', () => {
    expect(parseSelector(` cpu:usage { host = "a\\"b", dc!='x', re=~"a.*" ,nre!~"b|c", } `)).toEqual({
      metric: 'cpu:usage',
      matchers: [
        { name: 'host', op: '=', value: 'a"b' },
        { name: 'dc', op: '!=', value: 'x' },
        { name: 're', op: '=~', value: 'a.*' },
        { name: 'nre', op: '!~', value: 'b|c' },
      ],
    });
  });

  it.each([
    ['', 0],
    ['cpu{', 4],
    ['cpu{host}', 8],
    ['cpu{host="a"', 12],
    ['cpu{host="a" dc="b"}', 13],
    ['cpu{host=~"("}', 10],
    ['cpu{host=a}', 9],
    ['9cpu', 0],
    ['cpu} x', 3],
  ])('rejects %j at position %i', (text, position) => {
    try {
      parseSelector(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SelectorSyntaxError);
      expect((err as SelectorSyntaxError).position).toBe(position);
    }
  });
});

describe('labelPredicate', () => {
  const match = (selector: string, labels: Record<string, string>) => labelPredicate(parseSelector(selector).matchers)(labels);

  it('anchors regular expressions at both ends', () => {
    expect(match('m{h=~"a.*"}', { h: 'abc' })).toBe(true);
    expect(match('m{h=~"b"}', { h: 'abc' })).toBe(false);
    expect(match('m{h!~"a|b"}', { h: 'ab' })).toBe(true);
    expect(match('m{h!~"a|b"}', { h: 'a' })).toBe(false);
  });

  it('treats an absent label as the empty string', () => {
    expect(match('m{h=""}', {})).toBe(true);
    expect(match('m{h!=""}', {})).toBe(false);
    expect(match('m{h!="x"}', {})).toBe(true);
    expect(match('m{h=~".*"}', {})).toBe(true);
  });

  it('requires every matcher', () => {
    expect(match('m{a="1",b!="2"}', { a: '1', b: '3' })).toBe(true);
    expect(match('m{a="1",b!="2"}', { a: '1', b: '2' })).toBe(false);
  });
});
