import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '@ringtail/runtime';
import type { AlerterMetrics } from './alerter-metrics.ts';
import type { RuleSet } from './domain/rule.ts';
import { parseRuleFile, RuleFileError, type RuleFileOptions } from './domain/rule-file.ts';

/** Reads and parses a rule file; throws RuleFileError (also for an unreadable file). */
export function loadRuleFile(file: string, opts: RuleFileOptions): RuleSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new RuleFileError(file, null, null, `cannot read the file: ${(cause as Error).message}`, { cause });
  }
  return parseRuleFile(file, text, opts);
}

/**
 * The running rule set, swapped whole on a successful reload. A reload that
 * fails logs the error naming the place and leaves the running set untouched;
 * alert state lives in Redis, so a reload never loses it.
 */
export class RuleLoader {
  private ruleSet: RuleSet;
  private lastError: RuleFileError | null = null;
  private watching = false;

  constructor(
    private readonly file: string,
    private readonly opts: RuleFileOptions,
    private readonly log: Logger,
    private readonly metrics: AlerterMetrics,
  ) {
    this.ruleSet = loadRuleFile(file, opts);
  }

  current(): RuleSet {
    return this.ruleSet;
  }

  /** The error of the last failed reload, cleared by a successful one. */
  error(): RuleFileError | null {
    return this.lastError;
  }

  /** Re-reads the file; returns the error instead of throwing so callers (SIGHUP, file watch) cannot crash. */
  reload(): RuleFileError | null {
    try {
      this.ruleSet = loadRuleFile(this.file, this.opts);
      this.lastError = null;
      this.metrics.ruleReloads.inc({ result: 'success' });
      this.log.info({ file: this.file, rules: this.ruleSet.rules.length }, 'rules reloaded');
    } catch (err) {
      if (!(err instanceof RuleFileError)) throw err;
      this.lastError = err;
      this.metrics.ruleReloads.inc({ result: 'failure' });
      this.log.error({ err, file: err.file, rule: err.rule, field: err.field }, 'rule file rejected; keeping the running rules');
    }
    return this.lastError;
  }

  /** Reloads whenever the file's mtime or size changes (polling survives editors that replace the file). */
  watch(pollMs: number): void {
    this.watching = true;
    watchFile(this.file, { interval: pollMs, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) this.reload();
    });
  }

  stop(): void {
    if (this.watching) unwatchFile(this.file);
    this.watching = false;
  }
}
