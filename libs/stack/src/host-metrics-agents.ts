import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '@ringtail/runtime';
import { ChildProcesses } from './child-processes.ts';
import { StackError } from './errors.ts';
import { freePort } from './service-process.ts';

/** Where to find a binary and how to get it when it is missing. */
interface Binary {
  readonly candidates: readonly string[];
  readonly install: string;
}

const PROMETHEUS: Binary = { candidates: ['prometheus'], install: 'sudo apt-get install -y prometheus (Debian/Ubuntu)' };
const NODE_EXPORTER: Binary = {
  candidates: ['prometheus-node-exporter', 'node_exporter'],
  install: 'sudo apt-get install -y prometheus-node-exporter (Debian/Ubuntu)',
};
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

function findBinary(b: Binary): string | undefined {
  return b.candidates.find((c) => {
    const r = spawnSync(c, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return r.error === undefined && r.status === 0;
  });
}

/** The commands that install what is missing for host metrics; empty when both binaries are there. */
export function missingHostMetricsTools(): string[] {
  return [PROMETHEUS, NODE_EXPORTER].filter((b) => findBinary(b) === undefined).map((b) => `${b.candidates[0]}: ${b.install}`);
}

export interface HostMetricsOptions {
  /** Folder for configs, the TSDB and logs; wiped of nothing, reused across runs. */
  readonly dir: string;
  /** Gateway remote-write URL Prometheus sends to; none for a Prometheus that only scrapes. */
  readonly remoteWriteUrl?: string;
  /** Bearer token for the remote-write URL. */
  readonly bearerToken?: string;
  readonly scrapeIntervalS?: number;
  /** Job label of the node_exporter scrape. */
  readonly job?: string;
  /** Fixed ports; free ones are picked when absent. */
  readonly prometheusPort?: number;
  readonly nodeExporterPort?: number;
  /** Also accept remote write on Prometheus' own /api/v1/write (the benchmark's peer). */
  readonly enableRemoteWriteReceiver?: boolean;
  /** Run node_exporter and scrape it (default true). */
  readonly scrapeNodeExporter?: boolean;
  /** `host:port` of Ringtail services' ops servers, scraped as job `ringtail` (their /metrics into Ringtail, for the dashboard). */
  readonly ringtailTargets?: readonly string[];
}

/**
 * Debian's Prometheus and node_exporter as child processes of this one, on
 * loopback ports of their own with their own config and TSDB under `dir`:
 * Prometheus scrapes node_exporter every `scrapeIntervalS` and remote-writes
 * to the gateway. Nothing here uses the packages' default ports (9090, 9100)
 * or their system services. Both die with this process.
 */
export class HostMetricsAgents {
  private readonly children: ChildProcesses;
  private promPort = 0;
  private nePort = 0;

  constructor(private readonly opts: HostMetricsOptions) {
    this.children = new ChildProcesses(opts.dir);
  }

  get prometheusUrl(): string {
    return `http://127.0.0.1:${this.promPort}`;
  }

  get nodeExporterUrl(): string {
    return `http://127.0.0.1:${this.nePort}`;
  }

  /** The folder holding the config, the TSDB and the logs. */
  get dir(): string {
    return this.opts.dir;
  }

  get job(): string {
    return this.opts.job ?? 'node';
  }

  /**
   * Starts node_exporter and Prometheus and waits until both answer.
   * @throws StackError STACK_PREREQUISITE_MISSING naming the install command, STACK_START_FAILED
   */
  async start(): Promise<void> {
    const prometheus = findBinary(PROMETHEUS);
    const scrape = this.opts.scrapeNodeExporter ?? true;
    const nodeExporter = scrape ? findBinary(NODE_EXPORTER) : 'unused';
    if (prometheus === undefined || nodeExporter === undefined) {
      throw new StackError('STACK_PREREQUISITE_MISSING', `host metrics need Prometheus and node_exporter: ${missingHostMetricsTools().join('; ')}`);
    }
    mkdirSync(join(this.opts.dir, 'data'), { recursive: true });
    this.promPort = this.opts.prometheusPort ?? (await freePort());
    if (scrape) {
      this.nePort = this.opts.nodeExporterPort ?? (await freePort());
      const child = this.children.spawn('node-exporter', nodeExporter, [`--web.listen-address=127.0.0.1:${this.nePort}`]);
      await this.ready(child, 'node_exporter', `${this.nodeExporterUrl}/metrics`);
    }
    const config = join(this.opts.dir, 'prometheus.yml');
    writeFileSync(config, this.config());
    const child = this.children.spawn('prometheus', prometheus, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(this.opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.promPort}`,
      '--storage.tsdb.retention.time=1d',
      ...(this.opts.enableRemoteWriteReceiver ? ['--web.enable-remote-write-receiver'] : []),
    ]);
    await this.ready(child, 'prometheus', `${this.prometheusUrl}/-/ready`);
  }

  /** SIGTERM to both, SIGKILL after a grace period; resolves once they are gone. */
  async stop(): Promise<void> {
    await this.children.stop(STOP_GRACE_MS);
  }

  private config(): string {
    const interval = `${this.opts.scrapeIntervalS ?? 5}s`;
    const lines = ['global:', `  scrape_interval: ${interval}`, `  evaluation_interval: ${interval}`];
    if (this.opts.scrapeNodeExporter ?? true) {
      lines.push('scrape_configs:', `  - job_name: ${JSON.stringify(this.job)}`, '    static_configs:', `      - targets: ["127.0.0.1:${this.nePort}"]`);
    }
    const ringtail = this.opts.ringtailTargets ?? [];
    if (ringtail.length > 0) {
      if (!(this.opts.scrapeNodeExporter ?? true)) lines.push('scrape_configs:');
      lines.push('  - job_name: "ringtail"', '    static_configs:', `      - targets: ${JSON.stringify(ringtail)}`);
    }
    if (this.opts.remoteWriteUrl !== undefined) {
      lines.push('remote_write:', `  - url: ${JSON.stringify(this.opts.remoteWriteUrl)}`);
      if (this.opts.bearerToken !== undefined) lines.push('    authorization:', `      credentials: ${JSON.stringify(this.opts.bearerToken)}`);
      // Send soon after each scrape rather than when 2000 samples have gathered.
      lines.push('    queue_config:', '      batch_send_deadline: 1s', '      min_backoff: 100ms', '      max_backoff: 2s');
    }
    return `${lines.join('\n')}\n`;
  }

  private async ready(child: ChildProcess, name: string, url: string): Promise<void> {
    const ok = await eventually(`${name} ready`, READY_TIMEOUT_MS, async () => {
      if (child.exitCode !== null) return true;
      const res = await fetch(url).catch(() => undefined);
      return res?.status === 200;
    }, 100).catch(() => false);
    if (!ok || child.exitCode !== null) {
      throw new StackError('STACK_START_FAILED', `${name} ${ok ? `exited with ${child.exitCode}` : 'did not answer'}; see ${join(this.opts.dir, `${name === 'prometheus' ? 'prometheus' : 'node-exporter'}.log`)}`);
    }
  }
}
