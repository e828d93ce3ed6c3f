import { describe, expect, it } from 'vitest';
import { labelPredicate, parseSelector, SelectorSyntaxError } from '../../../services/alerter/src/domain/selector.ts';
import { compileTemplate, TemplateSyntaxError } from '../../../services/alerter/src/domain/template.ts';

describe('selectors', () => {
  it('matches = != =~ !~ with anchored regular expressions', () => {
    const s = parseSelector(`http_errors{env="prod", code=~"5..", path!~"/health.*", dc!='x'}`);
    const m = labelPredicate(s.matchers);
    expect(s.metric).toBe('http_errors');
    expect(m({ env: 'prod', code: '503', path: '/api' })).toBe(true);
    expect(m({ env: 'prod', code: '5033', path: '/api' })).toBe(false);
    expect(m({ env: 'prod', code: '500', path: '/healthz' })).toBe(false);
    expect(m({ env: 'prod', code: '500', path: '/a', dc: 'x' })).toBe(false);
  });

  it('names the offset of a syntax error', () => {
    expect(() => parseSelector('cpu{host="a"')).toThrow(SelectorSyntaxError);
    expect(() => parseSelector('cpu{host~"a"}')).toThrow(/at 8:/);
  });
});

describe('templates', () => {
  it('renders labels and the value, missing labels as empty', () => {
    expect(compileTemplate('{{$labels.host}}/{{ $labels.none }}={{ $value }}').render({ host: 'a' }, 1.5)).toBe('a/=1.5');
    expect(compileTemplate('v={{ $value }}').render({}, null)).toBe('v=NaN');
  });

  it('rejects unknown placeholders and unclosed braces at compile time', () => {
    expect(() => compileTemplate('{{ .Labels.host }}')).toThrow(TemplateSyntaxError);
    expect(() => compileTemplate('{{ $value')).toThrow(/unclosed/);
  });
});
