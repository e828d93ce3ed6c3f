import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, PROFILES, countByKind, faultSchedule } from '../../faults/fault-schedule.ts';
import { accountWebhooks } from '../../faults/alert-probes.ts';
import type { ReceivedWebhook } from '@ringtail/webhooks';
import { testSeed } from '../../support/test-seed.ts';

const SEED = testSeed('unit/fault-schedule');

describe('fault schedule', () => {
  it('strikes every kind once in the CI profile and twice in the full one', () => {
    const ci = faultSchedule(PROFILES.ci, SEED);
    expect(Object.values(countByKind(ci.map((f) => f.kind)))).toEqual(FAULT_KINDS.map(() => 1));
    const full = faultSchedule(PROFILES.full, SEED);
    expect(full.length).toBeGreaterThanOrEqual(20);
    expect(Object.values(countByKind(full.map((f) => f.kind)))).toEqual(FAULT_KINDS.map(() => 2));
  });

  it('gives the same schedule for the same seed and keeps gaps within the profile', () => {
    expect(faultSchedule(PROFILES.full, SEED)).toEqual(faultSchedule(PROFILES.full, SEED));
    const orders = new Set([SEED, SEED + 1, SEED + 2].map((s) => faultSchedule(PROFILES.ci, s).map((f) => f.kind).join()));
    expect(orders.size).toBeGreaterThan(1);
    for (const f of faultSchedule(PROFILES.full, SEED)) {
      expect(f.gapMs).toBeGreaterThanOrEqual(PROFILES.full.gapMs[0]);
      expect(f.gapMs).toBeLessThanOrEqual(PROFILES.full.gapMs[1]);
      expect(f.pick).toBeGreaterThanOrEqual(0);
      expect(f.pick).toBeLessThan(1);
    }
  });
});

describe('webhook accounting', () => {
  const hook = (id: string, alerts: [string, string][], status = 200, verified = true): ReceivedWebhook => ({
    atMs: 0,
    headers: {},
    body: '',
    status,
    id,
    verified,
    json: { status: alerts[0]![1], alerts: alerts.map(([probe, s]) => ({ status: s, labels: { probe }, annotations: {}, fingerprint: probe, startsAt: '', value: 1 })) },
  });
  const due = [
    { probe: '0', status: 'firing' },
    { probe: '0', status: 'resolved' },
    { probe: '1', status: 'firing' },
  ];

  it('counts a re-send with the same id once and a second id as a duplicate', () => {
    const account = accountWebhooks(due, [hook('a', [['0', 'firing']], 503), hook('a', [['0', 'firing']]), hook('a', [['0', 'firing']]), hook('b', [['0', 'resolved']]), hook('c', [['1', 'firing']]), hook('d', [['1', 'firing']])]);
    expect(account).toEqual({ expected: 3, missing: 0, duplicates: 1, unsigned: 0, unexpected: 0 });
  });

  it('finds what is missing, unsigned or not due', () => {
    const account = accountWebhooks(due, [hook('a', [['0', 'firing']], 200, false), hook('x', [['7', 'firing']]), hook('b', [['1', 'firing']], 500)]);
    expect(account).toEqual({ expected: 3, missing: 2, duplicates: 0, unsigned: 1, unexpected: 1 });
  });
});
