import { describe, expect } from 'vitest';
import { metricValue, scrapeMetrics } from '@ringtail/runtime';
import { redisKeys } from '@ringtail/model';
import { WindowWriter } from '../../../services/alerter/bench/window-writer.ts';
import { listAlerts } from '@ringtail/query';
import { eventually } from '../../support/fixtures.ts';
import { alerterTest, thresholdRules, writeRuleFile } from './support.ts';

interface RulesBody {
  data: { groups: { rules: { name: string; health: string; lastError: string; state: string }[] }[] };
}

describe('evaluation errors', () => {
  alerterTest('never resolves a firing alert while its rule cannot be read, and reports the rule unhealthy', async ({ bed }) => {
    const { redis, receiver, namespace } = bed;
    const writer = new WindowWriter(redis, namespace);
    const alerter = await bed.startAlerter(writeRuleFile(thresholdRules(receiver.url, 'temp')));
    await writer.write([{ name: 'temp', labels: { room: 'a' }, value: 70, timestampMs: Date.now() }]);
    await eventually('firing webhook', 10_000, async () => (receiver.delivered('firing').length > 0 ? true : undefined));
    const { firedAtMs } = (await listAlerts(redis, namespace))[0]!;

    // A series index of the wrong type makes every read of the rule fail (WRONGTYPE).
    const index = redisKeys(namespace).seriesOfMetric('temp');
    const members = await redis.smembers(index);
    await redis.multi().del(index).set(index, 'corrupt').exec();
    const rules = async () => ((await (await fetch(`http://127.0.0.1:${alerter.port}/api/v1/rules`)).json()) as RulesBody).data.groups[0]!.rules[0]!;
    const broken = await eventually('rule reported unhealthy', 10_000, async () => ((await rules()).health === 'err' ? rules() : undefined));
    expect(broken.lastError).toMatch(/WRONGTYPE/);
    // Long past the point where missing data would have resolved it (policy `ok`).
    await eventually('several failed evaluations', 10_000, async () => {
      const failures = metricValue(await scrapeMetrics(alerter.port), 'ringtail_alerter_rule_evaluation_failures_total') ?? 0;
      return failures >= 5 ? true : undefined;
    });
    expect((await listAlerts(redis, namespace)).map((a) => [a.state, a.firedAtMs])).toEqual([['firing', firedAtMs]]);

    await redis.multi().del(index).sadd(index, ...members).exec();
    await eventually('rule healthy again', 10_000, async () => ((await rules()).health === 'ok' ? true : undefined));
    expect((await listAlerts(redis, namespace)).map((a) => [a.state, a.firedAtMs])).toEqual([['firing', firedAtMs]]);
    expect(receiver.received.map((w) => w.json?.status)).toEqual(['firing']);
  });
});
