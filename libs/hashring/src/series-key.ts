/**
 * Canonical series key: one string (and so one UTF-8 byte form) per series.
 *
 * Form: `name{l1="v1",l2="v2"}` with labels sorted by label name in UTF-16
 * code-unit order (`Array.prototype.sort` order), or just `name` when there are
 * no labels. Escapes, each a backslash followed by one character:
 * - in the name: `\` → `\\`, `{` → `\{`
 * - in a label name: `\` → `\\`, `=` → `\=`
 * - in a label value: `\` → `\\`, `"` → `\"`, newline (U+000A) → `\n`
 *
 * Names and label names that follow the Prometheus rules contain none of the
 * escaped characters, so for valid input this is exactly the Prometheus text
 * form. The escapes make the form parseable for any input, so two different
 * (name, labels) pairs never give the same key. Inputs are assumed to be
 * well-formed UTF-16 (no lone surrogates), which validation upstream enforces.
 */
export function canonicalSeriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const labelNames = Object.keys(labels).sort();
  let key = escapeName(name);
  if (labelNames.length === 0) return key;
  key += '{';
  for (let i = 0; i < labelNames.length; i++) {
    const labelName = labelNames[i] as string;
    if (i > 0) key += ',';
    key += escapeLabelName(labelName) + '="' + escapeLabelValue(labels[labelName] as string) + '"';
  }
  return key + '}';
}

// The regex tests keep the common case (nothing to escape) free of replace calls.
const NAME_SPECIALS = /[\\{]/;
const LABEL_NAME_SPECIALS = /[\\=]/;
const LABEL_VALUE_SPECIALS = /[\\"\n]/;

function escapeName(name: string): string {
  return NAME_SPECIALS.test(name) ? name.replace(/[\\{]/g, (c) => '\\' + c) : name;
}

function escapeLabelName(labelName: string): string {
  return LABEL_NAME_SPECIALS.test(labelName) ? labelName.replace(/[\\=]/g, (c) => '\\' + c) : labelName;
}

function escapeLabelValue(value: string): string {
  if (!LABEL_VALUE_SPECIALS.test(value)) return value;
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : '\\' + c));
}
