import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatTable, querySeries } from '@ringtail/query';
import { redisKeys } from '@ringtail/model';
import { createSentinelClient } from '@ringtail/runtime';
import { HostMetricsAgents, ServiceProcess, loadStackSettings, missingHostMetricsTools, type StackEndpoints } from '@ringtail/stack';

/** The host metric the demo queries once it has arrived. */
const HOST_QUERY = 'node_load1{job="node"}';
const HOST_QUERY_WAIT_MS = 60_000;

/** The gateway and, where Debian's packages are installed, Prometheus scraping node_exporter into it. */
export interface DemoHostMetrics {
  readonly gateway: ServiceProcess;
  /** Lines saying where each part listens (or how to install what is missing). */
  readonly lines: readonly string[];
  /** Prints one `ringtail query` of a host metric once its first samples are in Redis. */
  showQuery(endpoints: StackEndpoints, signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the gateway on `httpPort`, then node_exporter and Prometheus on ports
 * of their own (scraping node_exporter and the services at `ringtailTargets` every 5 s, remote-writing into the gateway). Without
 * the binaries the demo runs on without host metrics and says how to get them.
 */
export async function startDemoHostMetrics(env: Readonly<Record<string, string>>, logDir: string, httpPort: number, ringtailTargets: readonly string[] = []): Promise<DemoHostMetrics> {
  const gateway = new ServiceProcess({ name: 'gateway', entry: 'services/gateway/src/main.ts', env, logDir, httpPort });
  await gateway.start(120_000);
  const url = `http://127.0.0.1:${gateway.port}`;
  const lines = [`${'gateway'.padEnd(10)} ${url}/api/v1/write (remote write)  ${url}/v1/metrics (OTLP)  /metrics   log: ${gateway.logFile}`];
  const missing = missingHostMetricsTools();
  let agents: HostMetricsAgents | undefined;
  if (missing.length > 0) {
    lines.push(`host metrics off: ${missing.join('; ')}`);
  } else {
    // A folder per run: a TSDB still locked by an earlier demo's orphaned Prometheus cannot get in the way.
    const dir = join(loadStackSettings(process.env).topology.cacheDir, 'demo-prometheus', `run-${process.pid}`);
    agents = new HostMetricsAgents({ dir, remoteWriteUrl: `${url}/api/v1/write`, job: 'node', ringtailTargets: [...ringtailTargets, `127.0.0.1:${gateway.port}`] });
    try {
      await agents.start();
    } catch (err) {
      await agents.stop();
      agents = undefined;
      lines.push(`host metrics off: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (agents !== undefined) {
    lines.push(`${'prometheus'.padEnd(10)} ${agents.prometheusUrl}  (scrapes node_exporter every 5 s, remote-writes to the gateway)   log: ${join(agents.dir, 'prometheus.log')}`);
    lines.push(`${'node_exp.'.padEnd(10)} ${agents.nodeExporterUrl}/metrics`);
  }
  return {
    gateway,
    lines,
    showQuery: async (endpoints, signal) => {
      if (agents === undefined) return;
      const redis = createSentinelClient({ sentinels: endpoints.sentinels, masterName: endpoints.sentinelMasterName }, 'ringtail-demo-query');
      try {
        const deadline = Date.now() + HOST_QUERY_WAIT_MS;
        while (!signal.aborted && Date.now() < deadline) {
          const now = Date.now();
          const rows = await querySeries(redis, redisKeys(''), HOST_QUERY, { fromMs: now - 60_000, toMs: now }).catch(() => []);
          if (rows.some((r) => r.points.length > 0)) {
            process.stdout.write(`\nhost metrics arrived: npx ringtail query '${HOST_QUERY}' --from now-1m\n${formatTable(rows)}\n\n`);
            return;
          }
          await sleep(2000);
        }
      } finally {
        redis.disconnect();
      }
    },
    stop: async () => {
      await agents?.stop();
      if (agents !== undefined) rmSync(agents.dir, { recursive: true, force: true });
      await gateway.stop();
    },
  };
}
