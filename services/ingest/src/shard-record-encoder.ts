import { encodeSeriesBlock, encodeWithSeriesBlocks, type ShardRecord } from '@ringtail/model';

/**
 * Encodes shard records as `encodeShardRecord` does (the same bytes), but
 * keeps the encoded block of up to `maxSeries` series by series id: the same
 * series shows up in record after record, and encoding its name and labels is
 * most of the work. The cache is dropped whole when full (O(1), no LRU
 * upkeep). The id is the series' identity everywhere downstream, so a cached
 * series may list its labels in the order first seen, which a reader cannot
 * tell apart.
 */
export class ShardRecordEncoder {
  private readonly blocks = new Map<string, Buffer>();

  constructor(private readonly maxSeries: number = DEFAULT_MAX_SERIES) {}

  encode(r: ShardRecord): Buffer {
    const blocks: Buffer[] = new Array(r.series.length);
    for (let i = 0; i < r.series.length; i++) {
      const s = r.series[i]!;
      let block = this.blocks.get(s.id);
      if (block === undefined) {
        block = encodeSeriesBlock(s);
        if (this.blocks.size >= this.maxSeries) this.blocks.clear();
        this.blocks.set(s.id, block);
      }
      blocks[i] = block;
    }
    return encodeWithSeriesBlocks(r, blocks);
  }
}

const DEFAULT_MAX_SERIES = 100_000;
