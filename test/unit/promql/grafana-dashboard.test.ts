import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePromql, typeOf } from '@ringtail/promql';

const DEPLOY = new URL('../../../deploy/grafana/', import.meta.url).pathname;

interface Panel {
  readonly title: string;
  readonly datasource: { readonly uid: string };
  readonly targets: readonly { readonly expr: string }[];
}

describe('deploy/grafana', () => {
  const datasources = parse(readFileSync(`${DEPLOY}provisioning/datasources/ringtail.yaml`, 'utf8')) as { datasources: { uid: string; type: string }[] };
  const dashboard = JSON.parse(readFileSync(`${DEPLOY}dashboards/ringtail-overview.json`, 'utf8')) as { panels: Panel[] };

  it('provisions a Prometheus-type data source that every dashboard panel uses', () => {
    const [ds] = datasources.datasources;
    expect(ds).toMatchObject({ type: 'prometheus', uid: 'ringtail' });
    expect(dashboard.panels.length).toBe(10);
    for (const p of dashboard.panels) expect(p.datasource.uid, p.title).toBe(ds!.uid);
  });

  it('asks only PromQL that Ringtail evaluates, each an instant vector Grafana can chart', () => {
    for (const p of dashboard.panels) {
      for (const t of p.targets) {
        // Grafana replaces $instance with a regex of the chosen instances (.* for All).
        const expr = parsePromql(t.expr.replaceAll('$instance', '.*'));
        expect(typeOf(expr), p.title).toBe('vector');
      }
    }
  });
});
