import { writeFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import { listAlerts } from '@ringtail/query';
import { RuleFileError } from '../../../services/alerter/src/index.ts';
import { eventually } from '../../support/fixtures.ts';
import { alerterTest, thresholdRules, writeRuleFile } from './support.ts';

const SECOND_RULE = `
  - alert: ColdTemp
    selector: 'temp{room="a"}'
    aggregation: min
    window: 1m
    op: '<'
    threshold: 5
`;

describe('rule reloads', () => {
  alerterTest('refuses to start on a malformed rule file, naming the place', async ({ bed }) => {
    const { receiver } = bed;
    const file = writeRuleFile(thresholdRules(receiver.url, 'temp').replace("op: '>'", "op: 'gt'"));
    const started = bed.startAlerter(file);
    await expect(started).rejects.toBeInstanceOf(RuleFileError);
    await expect(started).rejects.toThrow(`${file}: rule 'HighTemp' (rules[0]): field 'op'`);
  });

  alerterTest('keeps the running rules and their alerts when a changed file is malformed, and applies the next good one', async ({ bed }) => {
    const { redis, receiver, namespace } = bed;
    const writer = new WindowWriter(redis, namespace);
    const rules = thresholdRules(receiver.url, 'temp');
    const file = writeRuleFile(rules);
    const alerter = await bed.startAlerter(file);
    await writer.write([{ name: 'temp', labels: { room: 'a' }, value: 70, timestampMs: Date.now() }]);
    await eventually('firing webhook', 10_000, async () => (receiver.delivered('firing').length === 1 ? true : undefined));
    const { firedAtMs } = (await listAlerts(redis, namespace))[0]!;

    writeFileSync(file, `${rules}\n  - alert: Broken\n    selector: 'temp{room=}'\n    aggregation: last\n    window: 1m\n    op: '>'\n    threshold: 1\n`);
    const err = await eventually('watched reload rejected', 5_000, async () => (alerter.reload() ?? undefined));
    expect(err.message).toMatch(new RegExp(`^${file}: rule 'Broken' \\(rules\\[1\\]\\): field 'selector': invalid selector at 10: expected a quoted value`));
    expect(alerter.rules().rules.map((r) => r.name)).toEqual(['HighTemp']);

    writeFileSync(file, rules.replace(/\n$/, '') + SECOND_RULE);
    await eventually('good reload picked up by the file watch', 5_000, async () => (alerter.rules().rules.length === 2 ? true : undefined));
    await eventually('the new rule evaluated', 5_000, async () => {
      const body = (await (await fetch(`http://127.0.0.1:${alerter.port}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string }[] }[] } };
      return body.data.groups[0]!.rules[1]?.health === 'ok' ? true : undefined;
    });
    expect((await listAlerts(redis, namespace)).map((a) => [a.alertname, a.state, a.firedAtMs])).toEqual([['HighTemp', 'firing', firedAtMs]]);
    // The firing alert survived both reloads without a second notification.
    expect(receiver.received).toHaveLength(1);
  });
});
