import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { DURATION_EXAMPLES, parseDurationMs } from '@ringtail/model';
import { AGGREGATIONS, COMPARISONS, NO_DATA_POLICIES, type Receiver, type Rule, type RuleSet } from './rule.ts';
import { parseSelector, SelectorSyntaxError } from './selector.ts';
import { compileTemplate, TemplateSyntaxError, type Template } from './template.ts';

/** A rule file that cannot be used; names the file, the rule (if any) and the field. */
export class RuleFileError extends Error {
  override readonly name = 'RuleFileError' as const;
  readonly code = 'ALERTER_RULE_FILE_INVALID' as const;
  readonly retriable = false as const;
  constructor(
    readonly file: string,
    readonly rule: string | null,
    readonly field: string | null,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}${rule ? `: rule ${rule}` : ''}${field ? `: field '${field}'` : ''}: ${detail}`, options);
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

const duration = z.string().refine((s) => parseDurationMs(s) !== null, `expected a duration like ${DURATION_EXAMPLES}`);
const labelName = z.string().regex(LABEL_NAME, 'expected a label name [a-zA-Z_][a-zA-Z0-9_]*');
const labelMap = z.record(labelName, z.string()).default({});

const receiverSchema = z.strictObject({
  name: z.string().min(1),
  url: z.url(),
  secrets: z.array(z.string().regex(SECRET, 'expected whsec_<base64>')).default([]),
  // Name of an environment variable holding space-separated secrets, so the file can be committed.
  secrets_env: z.string().optional(),
  group_by: z.array(z.union([z.literal('...'), labelName])).default(['alertname']),
  group_wait: duration.default('0s'),
  group_interval: duration.default('30s'),
  repeat_interval: duration.default('4h'),
  send_resolved: z.boolean().default(true),
  max_attempts: z.number().int().min(1).max(100).default(12),
  retry_initial: duration.default('500ms'),
  retry_max: duration.default('5m'),
  timeout: duration.default('10s'),
});

const ruleSchema = z.strictObject({
  alert: z.string().regex(LABEL_NAME, 'expected an alert name [a-zA-Z_][a-zA-Z0-9_]*'),
  selector: z.string().min(1),
  aggregation: z.enum(AGGREGATIONS),
  window: duration.refine((s) => parseDurationMs(s)! > 0, 'window must be positive'),
  by: z.array(labelName).optional(),
  op: z.enum(COMPARISONS),
  threshold: z.number(),
  resolve_threshold: z.number().optional(),
  for: duration.default('0s'),
  keep_firing_for: duration.default('0s'),
  no_data: z.enum(NO_DATA_POLICIES).default('ok'),
  receiver: z.string().optional(),
  labels: labelMap,
  annotations: labelMap,
});

const fileSchema = z.strictObject({
  receivers: z.array(z.unknown()).default([]),
  rules: z.array(z.unknown()),
});

type RuleInput = z.infer<typeof ruleSchema>;
type ReceiverInput = z.infer<typeof receiverSchema>;

export interface RuleFileOptions {
  /** Receivers used when the file declares none (e.g. from WEBHOOK_URL). */
  readonly defaultReceivers?: readonly Receiver[];
  /** Looks up `secrets_env` variables; injected so this stays pure. */
  readonly secretLookup?: (variable: string) => string | undefined;
}

function zodProblem(file: string, rule: string | null, prefix: string, error: z.ZodError): RuleFileError {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return new RuleFileError(file, rule, path || null, issue.message);
}

function ms(text: string): number {
  return parseDurationMs(text)!;
}

function buildReceiver(file: string, index: number, raw: unknown, opts: RuleFileOptions): Receiver {
  const parsed = receiverSchema.safeParse(raw);
  const where = `receivers[${index}]`;
  if (!parsed.success) throw zodProblem(file, null, where, parsed.error);
  const r: ReceiverInput = parsed.data;
  const secrets = [...r.secrets];
  if (r.secrets_env !== undefined) {
    const text = opts.secretLookup?.(r.secrets_env);
    if (!text) throw new RuleFileError(file, null, `${where}.secrets_env`, `environment variable ${r.secrets_env} is not set`);
    for (const s of text.split(/\s+/).filter(Boolean)) {
      if (!SECRET.test(s)) throw new RuleFileError(file, null, `${where}.secrets_env`, `${r.secrets_env} holds a secret that is not whsec_<base64>`);
      secrets.push(s);
    }
  }
  return {
    name: r.name,
    url: r.url,
    secrets,
    groupBy: r.group_by.includes('...') ? 'all' : r.group_by,
    groupWaitMs: ms(r.group_wait),
    groupIntervalMs: ms(r.group_interval),
    repeatIntervalMs: ms(r.repeat_interval),
    sendResolved: r.send_resolved,
    maxAttempts: r.max_attempts,
    retryInitialMs: ms(r.retry_initial),
    retryMaxMs: ms(r.retry_max),
    timeoutMs: ms(r.timeout),
  };
}

function compileAll(file: string, rule: string, field: string, texts: Readonly<Record<string, string>>, allowed: readonly string[] | null) {
  const out: Record<string, Template> = {};
  for (const [name, text] of Object.entries(texts)) {
    try {
      out[name] = compileTemplate(text);
    } catch (err) {
      if (err instanceof TemplateSyntaxError) throw new RuleFileError(file, rule, `${field}.${name}`, err.message, { cause: err });
      throw err;
    }
    const unknown = allowed ? out[name]!.labelRefs.filter((l) => !allowed.includes(l)) : [];
    if (unknown.length > 0) {
      throw new RuleFileError(file, rule, `${field}.${name}`, `$labels.${unknown[0]} is not among the rule's 'by' labels [${allowed!.join(', ')}]`);
    }
  }
  return out;
}

function buildRule(file: string, index: number, raw: unknown, receivers: ReadonlyMap<string, Receiver>): Rule {
  const named = typeof raw === 'object' && raw !== null && typeof (raw as { alert?: unknown }).alert === 'string';
  const where = named ? `'${(raw as { alert: string }).alert}' (rules[${index}])` : `rules[${index}]`;
  const parsed = ruleSchema.safeParse(raw);
  if (!parsed.success) throw zodProblem(file, where, '', parsed.error);
  const r: RuleInput = parsed.data;
  let selector;
  try {
    selector = parseSelector(r.selector);
  } catch (err) {
    if (err instanceof SelectorSyntaxError) throw new RuleFileError(file, where, 'selector', err.message, { cause: err });
    throw err;
  }
  if (r.resolve_threshold !== undefined) {
    const ok =
      r.op === '>' || r.op === '>='
        ? r.resolve_threshold <= r.threshold
        : r.op === '<' || r.op === '<='
          ? r.resolve_threshold >= r.threshold
          : false;
    if (!ok) throw new RuleFileError(file, where, 'resolve_threshold', `must lie on the resolving side of '${r.op} ${r.threshold}' (and needs one of > >= < <=)`);
  }
  const receiver = r.receiver ?? receivers.keys().next().value;
  if (receiver === undefined) throw new RuleFileError(file, where, 'receiver', 'no receiver: declare receivers in the file or set WEBHOOK_URL');
  if (!receivers.has(receiver)) throw new RuleFileError(file, where, 'receiver', `unknown receiver '${receiver}'`);
  if ('alertname' in r.labels) throw new RuleFileError(file, where, 'labels.alertname', 'alertname is set from the rule name');
  const allowed = r.by ? [...r.by, ...Object.keys(r.labels)] : null;
  return {
    name: r.alert,
    selector,
    aggregation: r.aggregation,
    windowMs: ms(r.window),
    by: r.by ?? null,
    op: r.op,
    threshold: r.threshold,
    resolveThreshold: r.resolve_threshold ?? null,
    forMs: ms(r.for),
    keepFiringForMs: ms(r.keep_firing_for),
    noData: r.no_data,
    receiver,
    labels: compileAll(file, where, 'labels', r.labels, r.by ?? null),
    annotations: compileAll(file, where, 'annotations', r.annotations, allowed),
    source: { selector: r.selector, labels: r.labels, annotations: r.annotations },
  };
}

/**
 * Parses and validates a rule file. Throws RuleFileError naming the file, the
 * rule and the field of the first problem; never returns a partial rule set.
 */
export function parseRuleFile(file: string, text: string, opts: RuleFileOptions = {}): RuleSet {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new RuleFileError(file, null, null, `YAML syntax error${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${err.message.split('\n')[0]}`, { cause: err });
    }
    throw err;
  }
  const top = fileSchema.safeParse(doc ?? {});
  if (!top.success) throw zodProblem(file, null, '', top.error);
  const receivers = new Map<string, Receiver>();
  top.data.receivers.forEach((raw, i) => {
    const r = buildReceiver(file, i, raw, opts);
    if (receivers.has(r.name)) throw new RuleFileError(file, null, `receivers[${i}].name`, `duplicate receiver '${r.name}'`);
    receivers.set(r.name, r);
  });
  if (receivers.size === 0) for (const r of opts.defaultReceivers ?? []) receivers.set(r.name, r);
  const rules = top.data.rules.map((raw, i) => buildRule(file, i, raw, receivers));
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.name)) throw new RuleFileError(file, `'${r.name}' (rules[${i}])`, 'alert', 'duplicate alert name');
    seen.add(r.name);
  });
  return { file, rules, receivers };
}

/** The defaults of a receiver declared by environment (WEBHOOK_URL), as if written in a file. */
export function defaultReceiver(name: string, url: string, secrets: readonly string[]): Receiver {
  return buildReceiver('environment', 0, { name, url, secrets: [...secrets] }, {});
}
