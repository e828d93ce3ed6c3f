import type { Candidate, Conversion, ConversionRejection } from './candidate.ts';
import {
  FLAG_NO_RECORDED_VALUE,
  TEMPORALITY_CUMULATIVE,
  int64Number,
  nanosToMillis,
  type AnyValueMessage,
  type ExportMetricsRequestMessage,
  type HistogramPointMessage,
  type Int64Field,
  type KeyValueMessage,
  type MetricMessage,
  type NumberPointMessage,
  type SummaryPointMessage,
} from './otlp-message.ts';
import { formatBound, prometheusLabelName, prometheusMetricName, type PrometheusKind } from './otlp-names.ts';

// Resource attributes that become job and instance instead of target_info labels.
const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const TARGET_INFO = 'target_info';

/** An attribute value as a label value, per the OTel attribute rules (non-strings as JSON). */
export function attributeText(v: AnyValueMessage | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return String(v.boolValue);
  if (v.intValue !== undefined && v.intValue !== null) return String(int64Number(v.intValue));
  if (typeof v.doubleValue === 'number') return String(v.doubleValue);
  if (v.arrayValue) return JSON.stringify((v.arrayValue.values ?? []).map((x) => attributeJson(x)));
  if (v.kvlistValue) return JSON.stringify(Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key ?? '', attributeJson(kv.value)])));
  if (v.bytesValue) return Buffer.from(v.bytesValue).toString('base64');
  return '';
}

function attributeJson(v: AnyValueMessage | null | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null) return int64Number(v.intValue);
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  return attributeText(v);
}

/** Attributes as labels; keys that sanitise to the same name get their values joined with `;` in key order. */
export function attributeLabels(attributes: readonly KeyValueMessage[] | null | undefined, into: Record<string, string> = {}): Record<string, string> {
  const sorted = [...(attributes ?? [])].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  const seen = new Set<string>();
  for (const kv of sorted) {
    const name = prometheusLabelName(kv.key ?? '');
    const value = attributeText(kv.value);
    into[name] = seen.has(name) ? `${into[name]};${value}` : value;
    seen.add(name);
  }
  return into;
}

interface Scope {
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Turns an OTLP metrics request into candidate samples the way the
 * OpenTelemetry→Prometheus compatibility rules describe: gauges and
 * non-monotonic cumulative sums become gauges, monotonic cumulative sums
 * `_total` counters, cumulative histograms `_bucket{le}`/`_sum`/`_count`,
 * summaries `{quantile}`/`_sum`/`_count`; `job`/`instance` come from
 * `service.namespace`/`service.name` and `service.instance.id`, the other
 * resource attributes go to one `target_info` sample per resource, and every
 * sample carries `otel_scope_name`/`otel_scope_version`. Delta temporality and
 * exponential histograms are rejected (Ringtail keeps neither).
 */
export function convertExportRequest(request: ExportMetricsRequestMessage): Conversion {
  const out: { candidates: Candidate[]; rejected: ConversionRejection[]; stale: number } = { candidates: [], rejected: [], stale: 0 };
  const counter = { point: 0 };
  for (const rm of request.resourceMetrics ?? []) {
    const resourceAttributes = rm.resource?.attributes ?? [];
    const identity = targetLabels(resourceAttributes);
    let latestMs = -1;
    for (const sm of rm.scopeMetrics ?? []) {
      const scopeLabels: Record<string, string> = {};
      if (sm.scope?.name) scopeLabels.otel_scope_name = sm.scope.name;
      if (sm.scope?.version) scopeLabels.otel_scope_version = sm.scope.version;
      const scope: Scope = { labels: { ...scopeLabels, ...identity } };
      for (const metric of sm.metrics ?? []) {
        const before = out.candidates.length;
        convertMetric(metric, scope, out, counter);
        for (let i = before; i < out.candidates.length; i++) latestMs = Math.max(latestMs, out.candidates[i]!.timestamp);
      }
    }
    const others = resourceAttributes.filter((kv) => kv.key !== SERVICE_NAME && kv.key !== SERVICE_NAMESPACE && kv.key !== SERVICE_INSTANCE_ID);
    if (others.length > 0 && latestMs >= 0) {
      out.candidates.push({ name: TARGET_INFO, labels: attributeLabels(others, { ...identity }), value: 1, timestamp: latestMs, point: counter.point++ });
    }
  }
  return out;
}

/** `job` and `instance` of a resource; absent when the attributes are. */
function targetLabels(attributes: readonly KeyValueMessage[]): Record<string, string> {
  const get = (key: string) => attributeText(attributes.find((kv) => kv.key === key)?.value);
  const name = get(SERVICE_NAME);
  const namespace = get(SERVICE_NAMESPACE);
  const instance = get(SERVICE_INSTANCE_ID);
  const labels: Record<string, string> = {};
  if (name !== '') labels.job = namespace === '' ? name : `${namespace}/${name}`;
  if (instance !== '') labels.instance = instance;
  return labels;
}

type Out = { candidates: Candidate[]; rejected: ConversionRejection[]; stale: number };

function convertMetric(metric: MetricMessage, scope: Scope, out: Out, counter: { point: number }): void {
  const otelName = metric.name ?? '';
  const unit = metric.unit ?? '';
  const reject = (what: string, points: number) => {
    for (let i = 0; i < points; i++) {
      const point = counter.point++;
      out.rejected.push({ rejection: { code: 'UNSUPPORTED_TYPE', reason: `metric ${JSON.stringify(otelName)}: ${what}`, sampleIndex: point }, point, input: { metric: otelName } });
    }
  };
  if (metric.gauge) {
    numberPoints(metric.gauge.dataPoints, prometheusMetricName(otelName, unit, 'gauge'), scope, out, counter);
  } else if (metric.sum) {
    const points = metric.sum.dataPoints ?? [];
    if (metric.sum.aggregationTemporality !== TEMPORALITY_CUMULATIVE) {
      reject('delta (or unspecified) temporality is not converted: configure the exporter for cumulative temporality', points.length);
      return;
    }
    const kind: PrometheusKind = metric.sum.isMonotonic ? 'counter' : 'gauge';
    numberPoints(points, prometheusMetricName(otelName, unit, kind), scope, out, counter);
  } else if (metric.histogram) {
    const points = metric.histogram.dataPoints ?? [];
    if (metric.histogram.aggregationTemporality !== TEMPORALITY_CUMULATIVE) {
      reject('delta (or unspecified) temporality is not converted: configure the exporter for cumulative temporality', points.length);
      return;
    }
    histogramPoints(points, prometheusMetricName(otelName, unit, 'histogram'), scope, out, counter);
  } else if (metric.exponentialHistogram) {
    reject('exponential histograms (Prometheus native histograms) are not stored by Ringtail', metric.exponentialHistogram.dataPoints?.length ?? 0);
  } else if (metric.summary) {
    summaryPoints(metric.summary.dataPoints ?? [], prometheusMetricName(otelName, unit, 'summary'), scope, out, counter);
  }
}

function pointLabels(attributes: readonly KeyValueMessage[] | null | undefined, scope: Scope): Record<string, string> {
  return { ...attributeLabels(attributes), ...scope.labels };
}

function isStale(p: { flags?: number | null }): boolean {
  return ((p.flags ?? 0) & FLAG_NO_RECORDED_VALUE) !== 0;
}

interface PointCommon {
  attributes?: KeyValueMessage[] | null;
  timeUnixNano?: Int64Field;
  flags?: number | null;
}

/** Numbers each point, counts the stale ones, and hands the others to `emit` with their labels and time. */
function forEachLivePoint<P extends PointCommon>(
  points: readonly P[] | null | undefined,
  scope: Scope,
  out: Out,
  counter: { point: number },
  emit: (p: P, labels: Record<string, string>, timestamp: number, point: number) => void,
): void {
  for (const p of points ?? []) {
    const point = counter.point++;
    if (isStale(p)) out.stale += 1;
    else emit(p, pointLabels(p.attributes, scope), nanosToMillis(p.timeUnixNano), point);
  }
}

function numberPoints(points: readonly NumberPointMessage[] | null | undefined, name: string, scope: Scope, out: Out, counter: { point: number }): void {
  forEachLivePoint(points, scope, out, counter, (p, labels, timestamp, point) => {
    const value = typeof p.asDouble === 'number' ? p.asDouble : int64Number(p.asInt);
    out.candidates.push({ name, labels, value, timestamp, point });
  });
}

function histogramPoints(points: readonly HistogramPointMessage[], name: string, scope: Scope, out: Out, counter: { point: number }): void {
  forEachLivePoint(points, scope, out, counter, (p, labels, timestamp, point) => {
    const counts = (p.bucketCounts ?? []).map(int64Number);
    let cumulative = 0;
    (p.explicitBounds ?? []).forEach((bound, i) => {
      cumulative += counts[i] ?? 0;
      out.candidates.push({ name: `${name}_bucket`, labels: { ...labels, le: formatBound(bound) }, value: cumulative, timestamp, point });
    });
    const count = int64Number(p.count);
    out.candidates.push({ name: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count, timestamp, point });
    if (typeof p.sum === 'number') out.candidates.push({ name: `${name}_sum`, labels, value: p.sum, timestamp, point });
    out.candidates.push({ name: `${name}_count`, labels, value: count, timestamp, point });
  });
}

function summaryPoints(points: readonly SummaryPointMessage[], name: string, scope: Scope, out: Out, counter: { point: number }): void {
  forEachLivePoint(points, scope, out, counter, (p, labels, timestamp, point) => {
    for (const q of p.quantileValues ?? []) {
      out.candidates.push({ name, labels: { ...labels, quantile: formatBound(q.quantile ?? 0) }, value: q.value ?? 0, timestamp, point });
    }
    out.candidates.push({ name: `${name}_sum`, labels, value: p.sum ?? 0, timestamp, point });
    out.candidates.push({ name: `${name}_count`, labels, value: int64Number(p.count), timestamp, point });
  });
}
