import { describe, expect, it } from 'vitest';
import { CrashSupervisor, MetricsRegistry, createLogger, metricValue, parseExposition, type CrashSupervisorOptions } from '@ringtail/runtime';
import { eventually } from '../../support/fixtures.ts';

const log = createLogger('crash-supervisor-test', 'silent');

/** One sample of the registry's exposition, parsed. */
async function read(metrics: MetricsRegistry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return metricValue(parseExposition(await metrics.metrics()), name, labels);
}

function supervisor(over: Partial<CrashSupervisorOptions> = {}) {
  const metrics = new MetricsRegistry();
  const restarts: number[] = [];
  const s = new CrashSupervisor({
    name: 'test consumer',
    policy: 'restart',
    restart: async () => void restarts.push(restarts.length + 1),
    backoff: { initialMs: 5, maxMs: 40 },
    metrics,
    metricPrefix: 'ringtail_test_consumer',
    log,
    random: () => 0.5,
    ...over,
  });
  return { s, metrics, restarts };
}

describe('CrashSupervisor', () => {
  it('restarts crashed work after a backoff and says so on readiness and in metrics until it runs again', async () => {
    const { s, metrics, restarts } = supervisor();
    s.running();
    s.crashed(new RangeError('Maximum call stack size exceeded'));
    expect(s.state()).toBe('restarting');
    expect(s.describe()).toBe('test consumer restarting (attempt 1) after: RangeError: Maximum call stack size exceeded');
    expect(await read(metrics, 'ringtail_test_consumer_state', { state: 'restarting' })).toBe(1);
    await eventually('restart', 5_000, async () => (restarts.length === 1 ? true : undefined), 5);
    s.running();
    expect(s.isRunning()).toBe(true);
    expect(await read(metrics, 'ringtail_test_consumer_state', { state: 'running' })).toBe(1);
    expect(await read(metrics, 'ringtail_test_consumer_state', { state: 'restarting' })).toBe(0);
    expect(await read(metrics, 'ringtail_test_consumer_restarts_total', { by: 'supervisor' })).toBe(1);
  });

  it('backs off further while the restart itself fails, then counts attempts from 1 once the work stayed up', async () => {
    let failures = 2;
    const attemptsSeen: number[] = [];
    let now = 0;
    const { s } = supervisor({
      nowMs: () => now,
      restart: async () => {
        attemptsSeen.push(Number(/attempt (\d+)/.exec(s.describe())?.[1]));
        if (failures-- > 0) throw new Error('no broker');
      },
    });
    s.crashed(new Error('first'));
    await eventually('three attempts', 5_000, async () => (attemptsSeen.length === 3 ? true : undefined), 5);
    expect(attemptsSeen).toEqual([1, 2, 3]);
    s.running();
    now += 41;
    s.crashed(new Error('much later'));
    expect(s.describe()).toMatch(/attempt 1\)/);
  });

  it('leaves a crash kafkajs recovers from to kafkajs, counting it', async () => {
    const { s, metrics, restarts } = supervisor();
    s.crashed(new Error('The coordinator is not aware of this member'), true);
    expect(s.state()).toBe('restarting');
    expect(restarts).toEqual([]);
    expect(await read(metrics, 'ringtail_test_consumer_restarts_total', { by: 'kafkajs' })).toBe(1);
  });

  it('exits non-zero under the exit policy', () => {
    const codes: number[] = [];
    const { s } = supervisor({ policy: 'exit', restart: undefined, exit: (code) => void codes.push(code) });
    s.running();
    s.crashed(new TypeError('loop broke'));
    s.crashed(new TypeError('again'));
    expect(codes).toEqual([1]);
    expect(s.state()).toBe('exiting');
    expect(s.describe()).toBe('test consumer crashed, exiting: TypeError: loop broke');
  });

  it('restarts nothing once stopped', async () => {
    const { s, restarts } = supervisor();
    s.crashed(new Error('x'));
    s.stop();
    await new Promise((r) => setTimeout(r, 60));
    expect(restarts).toEqual([]);
    expect(s.state()).toBe('stopped');
  });
});
