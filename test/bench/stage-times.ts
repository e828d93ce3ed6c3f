import { scrapeMetrics, type ExpositionSample } from '@ringtail/runtime';
import type { ServiceProcess } from '@ringtail/stack';

/**
 * The stage histograms of ingest and the shard workers that split a sample's
 * produce→visible time, as `[label, metric name, labels]`. Means over a bench
 * phase tell where the time goes; the histograms' buckets are too coarse for
 * percentiles below a second.
 */
const STAGES = [
  ['rawRecordAgeAtIngestMs', 'ringtail_ingest_raw_record_age_ms', {}],
  ['ingestWriteMs', 'ringtail_ingest_write_duration_ms', {}],
  ['shardRecordAgeAtFetchMs', 'ringtail_shard_record_age_at_fetch_ms', {}],
  ['flushQueueMs', 'ringtail_shard_flush_queue_ms', {}],
  ['flushMs', 'ringtail_shard_flush_duration_ms', {}],
  ['flushScriptsMs', 'ringtail_shard_flush_phase_duration_ms', { phase: 'scripts' }],
  ['flushWaitMs', 'ringtail_shard_replica_wait_duration_ms', {}],
  ['flushCommitMs', 'ringtail_shard_flush_phase_duration_ms', { phase: 'commit' }],
  // Not a stage of a sample's path, but compaction's scripts share the workers' Redis connection.
  ['compactionPassMs', 'ringtail_shard_compaction_duration_ms', {}],
] as const;

type Totals = Map<string, { sum: number; count: number }>;

/** Sum and count of every stage histogram over `processes` at this moment (an unreachable process counts 0). */
export async function stageTotals(processes: Iterable<ServiceProcess>): Promise<Totals> {
  const totals: Totals = new Map(STAGES.map(([label]) => [label, { sum: 0, count: 0 }]));
  for (const p of processes) {
    const samples = await scrapeMetrics(p.port, 5000).catch(() => [] as ExpositionSample[]);
    for (const [label, name, labels] of STAGES) {
      const t = totals.get(label)!;
      for (const s of samples) {
        const matches = Object.entries(labels).every(([k, v]) => s.labels[k] === v);
        if (!matches) continue;
        if (s.name === `${name}_sum`) t.sum += s.value;
        if (s.name === `${name}_count`) t.count += s.value;
      }
    }
  }
  return totals;
}

/** Per stage, the mean (ms) and count of observations between two `stageTotals`. */
export function stageMeans(before: Totals, after: Totals): Record<string, { meanMs: number; count: number }> {
  const out: Record<string, { meanMs: number; count: number }> = {};
  for (const [label, a] of after) {
    const b = before.get(label) ?? { sum: 0, count: 0 };
    const count = a.count - b.count;
    out[label] = { meanMs: count > 0 ? Math.round((a.sum - b.sum) / count) : 0, count };
  }
  return out;
}
