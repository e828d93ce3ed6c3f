/**
 * The comparison phase of the alerter benchmark: the same crossing scenario
 * through Debian's Prometheus and Alertmanager, as child processes on loopback
 * ports of their own (never 9090/9093/9094), with Alertmanager's clustering
 * off. A gauge served over HTTP steps from below to above a threshold (rule
 * `for: 0s`), one probe series per crossing; measured from the step to the
 * webhook arriving. Two configurations run side by side: tuned for speed (1 s
 * scrape and evaluation, `group_wait: 0s`) and what most deployments run
 * (15 s scrape and evaluation, `group_wait: 30s`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '@ringtail/loadgen';
import { eventually } from '@ringtail/runtime';
import { ChildProcesses, freePort } from '@ringtail/stack';
import { startFiringReceiver, type FiringReceiver } from './first-firing.ts';

export interface PrometheusPhaseOptions {
  /** Crossings per configuration, each on its own probe series. */
  readonly crossings: number;
  /** Crossings are spread uniformly at random over this span. */
  readonly spreadMs: number;
}

export interface PrometheusConfiguration {
  readonly name: 'tuned' | 'typical';
  readonly scrapeIntervalS: number;
  readonly groupWaitS: number;
}

/** The issue's two configurations. */
export const PROMETHEUS_CONFIGURATIONS: readonly PrometheusConfiguration[] = [
  { name: 'tuned', scrapeIntervalS: 1, groupWaitS: 0 },
  { name: 'typical', scrapeIntervalS: 15, groupWaitS: 30 },
];

const ALERTMANAGER_BINARIES = ['prometheus-alertmanager', 'alertmanager'];
const METRIC = 'bench_step';
const QUIET_VALUE = 10;
const THRESHOLD = 100;
const CROSSING_VALUE = 1000;
const READY_TIMEOUT_MS = 60_000;
/** Time after the last crossing for the slowest configuration to notify: scrape + evaluation + group_wait, with room. */
const SETTLE_MS = 90_000;
const WAIT_POLL_MS = 100;
const STOP_GRACE_MS = 5_000;

/** A gauge per probe on /metrics, stepped by `cross`. */
class SteppingGauge {
  private readonly values: number[];
  private constructor(
    private readonly server: Server,
    readonly port: number,
    probes: number,
  ) {
    this.values = Array.from({ length: probes }, () => QUIET_VALUE);
  }

  static async start(probes: number): Promise<SteppingGauge> {
    let gauge: SteppingGauge | undefined;
    const server = createServer((_, res) => {
      const lines = gauge!.values.map((v, i) => `${METRIC}{probe="${i}"} ${v}`);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`# TYPE ${METRIC} gauge\n${lines.join('\n')}\n`);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    gauge = new SteppingGauge(server, port, probes);
    return gauge;
  }

  cross(probe: number): void {
    this.values[probe] = CROSSING_VALUE;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One Prometheus + Alertmanager pair of one configuration, under `dir`. */
class PrometheusPair {
  private readonly children: ChildProcesses;
  promPort = 0;

  constructor(
    readonly config: PrometheusConfiguration,
    private readonly dir: string,
  ) {
    this.children = new ChildProcesses(dir);
  }

  async start(gaugePort: number, webhookUrl: string): Promise<void> {
    const amPort = await freePort();
    this.promPort = await freePort();
    const c = this.config;
    writeFileSync(
      join(this.dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: bench',
        // Every label: each probe's alert is a group of its own, so each crossing waits group_wait.
        "  group_by: ['...']",
        `  group_wait: ${c.groupWaitS}s`,
        '  group_interval: 5m',
        '  repeat_interval: 4h',
        'receivers:',
        '  - name: bench',
        '    webhook_configs:',
        `      - url: ${JSON.stringify(webhookUrl)}`,
        '        send_resolved: false',
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.dir, 'rules.yml'), ['groups:', '  - name: bench', '    rules:', `      - alert: BenchStep`, `        expr: ${METRIC} > ${THRESHOLD}`, '        for: 0s', ''].join('\n'));
    writeFileSync(
      join(this.dir, 'prometheus.yml'),
      [
        'global:',
        `  scrape_interval: ${c.scrapeIntervalS}s`,
        `  evaluation_interval: ${c.scrapeIntervalS}s`,
        'rule_files: [rules.yml]',
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]`,
        'scrape_configs:',
        '  - job_name: step',
        `    static_configs: [{ targets: ['127.0.0.1:${gaugePort}'] }]`,
        '',
      ].join('\n'),
    );
    const alertmanager = await firstBinary(ALERTMANAGER_BINARIES);
    const am = this.children.spawn('alertmanager', alertmanager, [
      `--config.file=${join(this.dir, 'alertmanager.yml')}`,
      `--storage.path=${join(this.dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      // Clustering off: it would listen on 9094 by default.
      '--cluster.listen-address=',
    ]);
    await this.ready(am, 'alertmanager', `http://127.0.0.1:${amPort}/-/ready`);
    const prom = this.children.spawn('prometheus', 'prometheus', [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${this.promPort}`,
    ]);
    await this.ready(prom, 'prometheus', `http://127.0.0.1:${this.promPort}/-/ready`);
    // Scraped once, so a crossing is a change of a known series, not its first sample.
    await eventually(`${c.name} prometheus scraped the gauge`, READY_TIMEOUT_MS, async () => {
      const res = await fetch(`http://127.0.0.1:${this.promPort}/api/v1/query?query=${encodeURIComponent(`count(${METRIC})`)}`).catch(() => undefined);
      const body = (await res?.json().catch(() => undefined)) as { data?: { result?: { value?: [number, string] }[] } } | undefined;
      return Number(body?.data?.result?.[0]?.value?.[1] ?? 0) > 0;
    });
  }

  async stop(): Promise<void> {
    await this.children.stop(STOP_GRACE_MS);
  }

  private async ready(child: ChildProcess, name: string, url: string): Promise<void> {
    await eventually(`${this.config.name} ${name} ready (log in ${this.dir})`, READY_TIMEOUT_MS, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${join(this.dir, `${name}.log`)}`);
      return (await fetch(url).catch(() => undefined))?.status === 200;
    });
  }
}

/** The first of `names` that runs with --version; throws naming the Debian package otherwise. */
async function firstBinary(names: readonly string[]): Promise<string> {
  for (const name of names) {
    const ok = await new Promise<boolean>((resolve) => {
      const child = spawn(name, ['--version'], { stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('exit', (code) => resolve(code === 0));
    });
    if (ok) return name;
  }
  throw new Error(`none of ${names.join(', ')} found: apt-get install prometheus-alertmanager (Debian/Ubuntu)`);
}

export type PrometheusPhaseResult = Record<string, number>;

/** Runs both configurations side by side; everything it starts is stopped before it returns or throws. */
export async function runPrometheusPhase(opts: PrometheusPhaseOptions): Promise<PrometheusPhaseResult> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const runs = await Promise.all(
      PROMETHEUS_CONFIGURATIONS.map(async (config) => {
        const dir = mkdtempSync(join(tmpdir(), `ringtail-bench-prom-${config.name}-`));
        cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
        const gauge = await SteppingGauge.start(opts.crossings);
        cleanups.push(() => gauge.stop());
        const receiver: FiringReceiver = await startFiringReceiver((labels) => (labels.alertname === 'BenchStep' ? labels.probe : undefined));
        cleanups.push(() => receiver.receiver.stop());
        const pair = new PrometheusPair(config, dir);
        cleanups.push(() => pair.stop());
        await pair.start(gauge.port, receiver.receiver.url);
        return { config, gauge, receiver };
      }),
    );
    const results = await Promise.all(runs.map((run) => measure(run.gauge, run.receiver, opts)));
    const out: PrometheusPhaseResult = { prometheusCrossings: opts.crossings };
    runs.forEach(({ config }, i) => {
      const { latencies, delivered } = results[i]!;
      const prefix = `prometheus${config.name === 'tuned' ? 'Tuned' : 'Typical'}`;
      out[`${prefix}P50Ms`] = Math.round(percentile(latencies, 50));
      out[`${prefix}P99Ms`] = Math.round(percentile(latencies, 99));
      out[`${prefix}MaxMs`] = Math.round(latencies.at(-1) ?? NaN);
      out[`${prefix}Delivered`] = delivered;
    });
    return out;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`bench cleanup failed: ${String(err)}\n`));
  }
}

async function measure(gauge: SteppingGauge, receiver: FiringReceiver, opts: PrometheusPhaseOptions): Promise<{ latencies: number[]; delivered: number }> {
  const crossedAtMs = new Map<string, number>();
  const startedMs = Date.now();
  const plan = Array.from({ length: opts.crossings }, (_, probe) => ({ probe, atMs: startedMs + Math.random() * opts.spreadMs })).sort((a, b) => a.atMs - b.atMs);
  for (const { probe, atMs } of plan) {
    await sleep(Math.max(0, atMs - Date.now()));
    gauge.cross(probe);
    crossedAtMs.set(String(probe), Date.now());
  }
  const deadline = Date.now() + SETTLE_MS;
  while (receiver.firstFiringAtMs.size < crossedAtMs.size && Date.now() < deadline) await sleep(WAIT_POLL_MS);
  const latencies = [...crossedAtMs].map(([probe, at]) => (receiver.firstFiringAtMs.get(probe) ?? Infinity) - at).sort((a, b) => a - b);
  return { latencies, delivered: [...crossedAtMs.keys()].filter((p) => receiver.firstFiringAtMs.has(p)).length };
}
