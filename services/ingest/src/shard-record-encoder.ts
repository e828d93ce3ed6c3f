import type { ShardRecord, ShardSeries } from '@ringtail/model';

/**
 * Encodes shard records as `encodeShardRecord` does (the same JSON text), but
 * keeps the JSON of up to `maxSeries` series by series id: the same series
 * shows up in record after record, and stringifying its name and labels is most
 * of the encoding work. The cache is dropped whole when full (O(1), no LRU
 * upkeep). The id is the series' identity everywhere downstream, so a cached
 * series may list its labels in the order first seen, which a reader of the
 * JSON cannot tell apart.
 */
export class ShardRecordEncoder {
  private readonly seriesJson = new Map<string, string>();

  constructor(private readonly maxSeries: number = DEFAULT_MAX_SERIES) {}

  encode(r: ShardRecord): Buffer {
    let json = r.rt === undefined ? `{"v":${r.v},"rp":${r.rp},"series":[` : `{"v":${r.v},"rp":${r.rp},"rt":${r.rt},"series":[`;
    for (let i = 0; i < r.series.length; i++) {
      if (i > 0) json += ',';
      json += this.seriesJsonOf(r.series[i] as ShardSeries);
    }
    // Arrays of numbers are the part JSON.stringify does fastest natively.
    return Buffer.from(`${json}],"samples":${JSON.stringify(r.samples)}}`);
  }

  private seriesJsonOf(s: ShardSeries): string {
    let json = this.seriesJson.get(s.id);
    if (json === undefined) {
      json = JSON.stringify({ id: s.id, name: s.name, labels: s.labels });
      if (this.seriesJson.size >= this.maxSeries) this.seriesJson.clear();
      this.seriesJson.set(s.id, json);
    }
    return json;
  }
}

const DEFAULT_MAX_SERIES = 100_000;
