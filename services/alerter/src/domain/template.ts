/**
 * Label and annotation templates: literal text with `{{ $labels.name }}` and
 * `{{ $value }}` placeholders, checked when the rule file loads so a typo
 * fails the load instead of producing a broken notification at 3 a.m.
 */
import { formatValue } from '@ringtail/model';
export interface Template {
  /** Label names the template reads. */
  readonly labelRefs: readonly string[];
  render(labels: Readonly<Record<string, string>>, value: number | null): string;
}

export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError' as const;
  readonly code = 'ALERTER_TEMPLATE_SYNTAX' as const;
  readonly retriable = false as const;
  constructor(
    readonly text: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${detail} at offset ${offset} in '${text}'`);
  }
}

type Part = { kind: 'text'; text: string } | { kind: 'label'; name: string } | { kind: 'value' };

const PLACEHOLDER = /^\s*(?:\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|\$value)\s*$/;

/** Compiles a template; throws TemplateSyntaxError on an unknown placeholder or an unclosed `{{`. */
export function compileTemplate(text: string): Template {
  const parts: Part[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open < 0) {
      parts.push({ kind: 'text', text: text.slice(at) });
      break;
    }
    if (open > at) parts.push({ kind: 'text', text: text.slice(at, open) });
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateSyntaxError(text, open, "unclosed '{{'");
    const m = PLACEHOLDER.exec(text.slice(open + 2, close));
    if (!m) throw new TemplateSyntaxError(text, open, 'expected {{ $labels.<name> }} or {{ $value }}');
    parts.push(m[1] !== undefined ? { kind: 'label', name: m[1] } : { kind: 'value' });
    at = close + 2;
  }
  const labelRefs = [...new Set(parts.flatMap((p) => (p.kind === 'label' ? [p.name] : [])))];
  return {
    labelRefs,
    render: (labels, value) =>
      parts
        .map((p) => (p.kind === 'text' ? p.text : p.kind === 'label' ? (labels[p.name] ?? '') : value === null ? 'NaN' : formatValue(value)))
        .join(''),
  };
}

