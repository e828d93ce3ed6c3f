import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '@ringtail/runtime';
import { ungzip } from './body-codecs.ts';
import { convertExportRequest } from './domain/otlp-conversion.ts';
import type { ExportMetricsRequestMessage } from './domain/otlp-message.ts';
import { MalformedBodyError, UnsupportedMediaTypeError } from './errors.ts';
import { answerError, type ErrorBody } from './http-answers.ts';
import type { ProtocolSchemas } from './protocol-schemas.ts';
import { admitWrite, mediaType, readBody } from './request-body.ts';
import type { WriteRouteDeps } from './remote-write-route.ts';
import { summariseRejections, takeSamples, type IntakeResult } from './sample-intake.ts';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

// google.rpc.Code of each status, for the Status body OTLP/HTTP errors carry.
const GRPC_CODE: Readonly<Record<number, number>> = { 400: 3, 401: 16, 405: 12, 413: 8, 415: 3, 429: 8, 503: 14 };
const GRPC_INTERNAL = 13;

function statusBody(schemas: ProtocolSchemas, json: boolean): ErrorBody {
  return (status, message) => {
    const status_ = { code: GRPC_CODE[status] ?? GRPC_INTERNAL, message };
    return json
      ? { type: JSON_TYPE, body: JSON.stringify(status_) }
      : { type: PROTOBUF, body: schemas.status.encode(schemas.status.fromObject(status_)).finish() };
  };
}

async function decodeRequest(req: IncomingMessage, deps: WriteRouteDeps, json: boolean): Promise<ExportMetricsRequestMessage> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new UnsupportedMediaTypeError(`OTLP/HTTP bodies are identity or gzip encoded, got Content-Encoding ${JSON.stringify(encoding)}`);
  }
  const sent = await readBody(req, deps.maxBodyBytes);
  const body = encoding === 'gzip' ? await ungzip(sent, deps.maxDecompressedBytes) : sent;
  const type = deps.schemas.exportRequest;
  try {
    if (!json) return type.decode(body) as unknown as ExportMetricsRequestMessage;
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the body is not a JSON object');
    return type.fromObject(parsed as Record<string, unknown>) as unknown as ExportMetricsRequestMessage;
  } catch (err) {
    throw new MalformedBodyError(`not an OTLP ExportMetricsServiceRequest: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Data points with at least one rejected sample: OTLP's `rejected_data_points`. */
function rejectedPoints(result: IntakeResult): number {
  const points = new Set<number>();
  let unattributed = 0;
  for (const r of result.rejected) {
    if (r.point >= 0) points.add(r.point);
    else unattributed += 1;
  }
  return points.size + unattributed;
}

/**
 * `POST /v1/metrics`: OTLP/HTTP metrics, protobuf or JSON (identity or gzip),
 * answered in the request's content type. 200 once Kafka acknowledged every
 * valid sample, with `partial_success.rejected_data_points` when some were
 * rejected; the catalogue's status with a `Status` body when refused whole.
 */
export function otlpRoute(deps: WriteRouteDeps, answered: (status: number) => void): Route {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const json = mediaType(req) === JSON_TYPE;
    const errorBody = statusBody(deps.schemas, json);
    try {
      admitWrite(req, deps);
      const type = mediaType(req);
      if (type !== PROTOBUF && type !== JSON_TYPE) {
        throw new UnsupportedMediaTypeError(`OTLP/HTTP needs Content-Type ${PROTOBUF} or ${JSON_TYPE}, got ${JSON.stringify(req.headers['content-type'] ?? '')}`);
      }
      const request = await decodeRequest(req, deps, json);
      const result = await takeSamples(deps.intake, convertExportRequest(request), { protocol: 'otlp', requestId });
      const response =
        result.rejected.length === 0
          ? {}
          : { partialSuccess: { rejectedDataPoints: rejectedPoints(result), errorMessage: `request ${requestId}:\n${summariseRejections(result.rejected)}` } };
      if (json) {
        res.writeHead(200, { 'content-type': JSON_TYPE }).end(JSON.stringify(response));
      } else {
        const message = deps.schemas.exportResponse.fromObject(response);
        res.writeHead(200, { 'content-type': PROTOBUF }).end(deps.schemas.exportResponse.encode(message).finish());
      }
      answered(200);
    } catch (err) {
      const status = answerError(res, err, 'otlp', errorBody);
      // Refusals are the sender's to see; Kafka failures are logged once by the writer.
      if (status === 500) deps.log.error({ err, requestId }, 'OTLP request failed');
      answered(status);
    }
  };
}
