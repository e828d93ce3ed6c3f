import { describe, expect, it } from 'vitest';
import { formatAlertsTable, type AlertRow } from '@ringtail/query';

const NOW = 1_700_000_000_000;
const row = (alertname: string, state: AlertRow['state'], agoMs: number, value: number | null): AlertRow => ({
  alertname,
  state,
  fingerprint: '0123456789abcdef',
  labels: { alertname, host: 'web-1' },
  annotations: {},
  activeAtMs: NOW - agoMs,
  firedAtMs: state === 'pending' ? null : NOW - agoMs,
  resolvedAtMs: state === 'resolved' ? NOW - agoMs : null,
  value,
});

describe('the alerts table', () => {
  it('prints one aligned line per alert with state, age, value and labels', () => {
    const text = formatAlertsTable([row('HighCpu', 'firing', 90_000, 93.5), row('Disk', 'pending', 5_000, null)], NOW);
    expect(text).toBe(
      ['ALERT    STATE    SINCE      VALUE  LABELS', 'HighCpu  firing   1m30s ago  93.5   host=web-1', 'Disk     pending  5s ago     NaN    host=web-1', ''].join('\n'),
    );
  });

  it('says so when there are no alerts', () => {
    expect(formatAlertsTable([], NOW)).toBe('no alerts\n');
  });
});
