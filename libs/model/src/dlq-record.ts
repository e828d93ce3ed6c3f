import { DLQ_HEADERS } from './topics.ts';
import type { Rejection } from './rejection.ts';

/**
 * Header naming the index of the rejected sample inside its raw message; absent
 * when the whole message was rejected. Complements `DLQ_HEADERS`.
 */
export const DLQ_SAMPLE_INDEX_HEADER = 'ringtail-dlq-sample-index';

/** Longest reason header, in UTF-16 units: a reason can quote input (e.g. unknown keys), and a header is not the place for it. */
export const MAX_DLQ_REASON_LENGTH = 1024;

/** Where a rejected input came from. */
export interface RawCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * The headers of a DLQ record: reason, code, raw topic/partition/offset and,
 * for a single rejected sample, its index in the message. All values are strings.
 */
export function dlqHeaders(rejection: Rejection, source: RawCoordinates): Record<string, string> {
  return {
    ...reasonHeaders(rejection),
    [DLQ_HEADERS.rawTopic]: source.topic,
    [DLQ_HEADERS.rawPartition]: String(source.partition),
    [DLQ_HEADERS.rawOffset]: String(source.offset),
  };
}

/** Where a sample the HTTP gateway rejected came from: it never was on the raw topic. */
export interface GatewaySource {
  readonly protocol: 'remote-write' | 'otlp';
  readonly requestId: string;
}

/**
 * The headers of a DLQ record written by the gateway: reason, code, protocol,
 * request id and the index of the sample among the request's samples.
 */
export function gatewayDlqHeaders(rejection: Rejection, source: GatewaySource): Record<string, string> {
  return { ...reasonHeaders(rejection), [DLQ_HEADERS.gatewayProtocol]: source.protocol, [DLQ_HEADERS.gatewayRequestId]: source.requestId };
}

function reasonHeaders(rejection: Rejection): Record<string, string> {
  const headers: Record<string, string> = {
    [DLQ_HEADERS.reason]: rejection.reason.length > MAX_DLQ_REASON_LENGTH ? `${rejection.reason.slice(0, MAX_DLQ_REASON_LENGTH - 1)}…` : rejection.reason,
    [DLQ_HEADERS.code]: rejection.code,
  };
  if (rejection.sampleIndex !== undefined) headers[DLQ_SAMPLE_INDEX_HEADER] = String(rejection.sampleIndex);
  return headers;
}
