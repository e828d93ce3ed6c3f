/**
 * The decoded OTLP `ExportMetricsServiceRequest` as protobufjs gives it
 * (camelCase fields; 64-bit integers as numbers or Long objects). Only the
 * fields the conversion reads are declared.
 */
export interface OtlpInt64 {
  toNumber(): number;
  div(divisor: number): OtlpInt64;
}
export type Int64Field = number | OtlpInt64 | undefined | null;

export interface AnyValueMessage {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64Field;
  doubleValue?: number | null;
  arrayValue?: { values?: AnyValueMessage[] | null } | null;
  kvlistValue?: { values?: KeyValueMessage[] | null } | null;
  bytesValue?: Uint8Array | null;
}
export interface KeyValueMessage {
  key?: string | null;
  value?: AnyValueMessage | null;
}

interface PointBase {
  attributes?: KeyValueMessage[] | null;
  timeUnixNano?: Int64Field;
  flags?: number | null;
}
export interface NumberPointMessage extends PointBase {
  asDouble?: number | null;
  asInt?: Int64Field;
}
export interface HistogramPointMessage extends PointBase {
  count?: Int64Field;
  sum?: number | null;
  bucketCounts?: Int64Field[] | null;
  explicitBounds?: number[] | null;
}
export interface SummaryPointMessage extends PointBase {
  count?: Int64Field;
  sum?: number | null;
  quantileValues?: { quantile?: number | null; value?: number | null }[] | null;
}

export interface MetricMessage {
  name?: string | null;
  unit?: string | null;
  gauge?: { dataPoints?: NumberPointMessage[] | null } | null;
  sum?: { dataPoints?: NumberPointMessage[] | null; aggregationTemporality?: number | null; isMonotonic?: boolean | null } | null;
  histogram?: { dataPoints?: HistogramPointMessage[] | null; aggregationTemporality?: number | null } | null;
  exponentialHistogram?: { dataPoints?: unknown[] | null } | null;
  summary?: { dataPoints?: SummaryPointMessage[] | null } | null;
}

export interface ExportMetricsRequestMessage {
  resourceMetrics?:
    | {
        resource?: { attributes?: KeyValueMessage[] | null } | null;
        scopeMetrics?: { scope?: { name?: string | null; version?: string | null } | null; metrics?: MetricMessage[] | null }[] | null;
      }[]
    | null;
}

/** OTLP's AggregationTemporality enum. */
export const TEMPORALITY_CUMULATIVE = 2;
/** DataPointFlags.FLAG_NO_RECORDED_VALUE_MASK: the point marks a series gone (Prometheus' staleness). */
export const FLAG_NO_RECORDED_VALUE = 1;

export function int64Number(v: Int64Field): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Nanoseconds since the epoch → whole milliseconds (floored). */
export function nanosToMillis(v: Int64Field): number {
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? Math.floor(v / 1e6) : v.div(1_000_000).toNumber();
}
