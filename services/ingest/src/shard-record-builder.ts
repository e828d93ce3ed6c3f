import { SHARD_RECORD_VERSION, type Sample, type ShardRecord, type ShardSample, type ShardSeries } from '@ringtail/model';

export interface ShardRecordLimits {
  /** Samples per record. */
  readonly maxSamples: number;
  /** Estimated bytes per record; a soft bound, kept well under the topic's max.message.bytes. */
  readonly maxBytes: number;
}

// Sized for the JSON form the records had before; the binary form is smaller on
// both counts (a series block is about its key's UTF-8 plus 20 bytes, a sample
// at most 26 bytes), so records stay well under `maxBytes` in either form.
const SERIES_OVERHEAD_BYTES = 64;
const SAMPLE_BYTES = 56;

function seriesBytes(seriesKey: string): number {
  return seriesKey.length * 2 + SERIES_OVERHEAD_BYTES;
}

/**
 * Collects the samples one raw batch sends to one slot into shard records
 * (see `ShardRecord`). Samples must be added in raw-offset order; each record
 * lists every series it references once. A record is sealed once it reaches
 * `maxSamples` or about `maxBytes`, but only between raw messages: the shard
 * advances its watermark per record, so the rest of a message split across two
 * records would be skipped as already applied. One message's samples for one
 * worker are bounded by MAX_MESSAGE_BYTES, which SHARD_TOPIC_MAX_MESSAGE_BYTES covers.
 */
export class ShardRecordBuilder {
  private readonly sealed: ShardRecord[] = [];
  private series: ShardSeries[] = [];
  private samples: ShardSample[] = [];
  private indexByKey = new Map<string, number>();
  private bytes = 0;
  private lastOffset = -1;
  private addedSamples = 0;
  private recordTimeMs = -1;

  constructor(
    private readonly rawPartition: number,
    private readonly limits: ShardRecordLimits,
  ) {}

  /** Samples added since the builder was made. */
  get added(): number {
    return this.addedSamples;
  }

  /**
   * Adds one sample of series `seriesKey`/`seriesId` read at `rawOffset`, not to be written to the
   * resolutions in `expiredMask`; `recordTimestampMs` is its raw record's Kafka timestamp (negative: none).
   */
  add(seriesKey: string, seriesId: string, sample: Sample, rawOffset: number, expiredMask = 0, recordTimestampMs = -1): void {
    let index = this.indexByKey.get(seriesKey);
    const newSeriesBytes = index === undefined ? seriesBytes(seriesKey) : 0;
    const full = this.samples.length >= this.limits.maxSamples || (this.samples.length > 0 && this.bytes + newSeriesBytes + SAMPLE_BYTES > this.limits.maxBytes);
    if (full && rawOffset !== this.lastOffset) {
      this.seal();
      index = undefined;
    }
    this.lastOffset = rawOffset;
    if (index === undefined) {
      index = this.series.length;
      this.series.push({ id: seriesId, name: sample.name, labels: sample.labels });
      this.indexByKey.set(seriesKey, index);
      this.bytes += seriesBytes(seriesKey);
    }
    this.samples.push(expiredMask === 0 ? [index, sample.value, sample.timestamp, rawOffset] : [index, sample.value, sample.timestamp, rawOffset, expiredMask]);
    this.bytes += SAMPLE_BYTES;
    this.addedSamples++;
    if (recordTimestampMs > this.recordTimeMs) this.recordTimeMs = recordTimestampMs;
  }

  /** Every record built so far, in raw-offset order; the builder is empty afterwards. */
  finish(): ShardRecord[] {
    this.seal();
    return this.sealed.splice(0);
  }

  private seal(): void {
    if (this.samples.length === 0) return;
    const base = { v: SHARD_RECORD_VERSION, rp: this.rawPartition } as const;
    // Safe integers only: a timestamp is written as JSON and read back as the slot's clock.
    const rt = Number.isSafeInteger(this.recordTimeMs) && this.recordTimeMs >= 0 ? this.recordTimeMs : undefined;
    this.sealed.push(rt === undefined ? { ...base, series: this.series, samples: this.samples } : { ...base, rt, series: this.series, samples: this.samples });
    this.recordTimeMs = -1;
    this.series = [];
    this.samples = [];
    this.indexByKey = new Map();
    this.bytes = 0;
  }
}
