import { describe, expect, it } from 'vitest';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import { ChangeRouter } from '../../../services/alerter/src/change-router.ts';
import type { RuleSet } from '../../../services/alerter/src/domain/rule.ts';
import { ruleSetOf } from '../../unit/alerter/helpers.ts';
import { namespacePerTest } from './support.ts';

const rule = (name: string, selector: string) => `  - { alert: ${name}, selector: '${selector}', aggregation: last, window: 1m, op: '>', threshold: 1 }`;

describe('the change router', () => {
  const t = namespacePerTest('change-router');

  it('names the rules of announced series, again after a reload, and routes a series once its hash is written', async () => {
    const writer = new WindowWriter(t.redis, t.namespace);
    const at = Date.now();
    await writer.write([
      { name: 'cpu', labels: { host: 'a' }, value: 1, timestampMs: at },
      { name: 'cpu', labels: { host: 'b' }, value: 1, timestampMs: at },
      { name: 'mem', labels: { host: 'a' }, value: 1, timestampMs: at },
    ]);
    const [cpuA, cpuB, memA] = [WindowWriter.seriesId('cpu', { host: 'a' }), WindowWriter.seriesId('cpu', { host: 'b' }), WindowWriter.seriesId('mem', { host: 'a' })];
    const diskA = WindowWriter.seriesId('disk', { host: 'a' });
    let rules: RuleSet = ruleSetOf([rule('CpuA', 'cpu{host="a"}'), rule('AnyCpu', 'cpu'), rule('NotB', 'cpu{host!="b"}'), rule('Disk', 'disk')].join('\n'));
    const router = new ChangeRouter(t.redis, t.keys, () => rules);

    expect(await router.rulesOf([cpuA, memA])).toEqual(new Set(['CpuA', 'AnyCpu', 'NotB']));
    expect(await router.rulesOf([cpuB])).toEqual(new Set(['AnyCpu']));
    // Asked again, from what the router remembers: the same answers, mixed with a series it has not seen.
    expect(await router.rulesOf([memA, cpuB, cpuA])).toEqual(new Set(['CpuA', 'AnyCpu', 'NotB']));

    // An id without a series hash is skipped, and routed once the hash is there.
    expect(await router.rulesOf([diskA])).toEqual(new Set());
    await writer.write([{ name: 'disk', labels: { host: 'a' }, value: 1, timestampMs: at }]);
    expect(await router.rulesOf([diskA, memA])).toEqual(new Set(['Disk']));

    // A reloaded rule file routes every series anew.
    rules = ruleSetOf([rule('CpuB', 'cpu{host="b"}'), rule('MemA', 'mem{host="a"}')].join('\n'));
    expect(await router.rulesOf([cpuA, cpuB, memA, diskA])).toEqual(new Set(['CpuB', 'MemA']));
    expect(await router.rulesOf([cpuA])).toEqual(new Set());
  });
});
