import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, Route } from '@ringtail/runtime';
import { unsnappy } from './body-codecs.ts';
import { convertWriteRequest, type WriteRequestMessage } from './domain/remote-write-conversion.ts';
import { MalformedBodyError, UnsupportedMediaTypeError } from './errors.ts';
import { answerError, plainErrorBody } from './http-answers.ts';
import type { ProtocolSchemas } from './protocol-schemas.ts';
import { admitWrite, mediaType, readBody } from './request-body.ts';
import { summariseRejections, takeSamples, type SampleIntakeDeps } from './sample-intake.ts';

export interface WriteRouteDeps {
  readonly intake: SampleIntakeDeps;
  readonly schemas: ProtocolSchemas;
  readonly bearerTokens: readonly Buffer[];
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
  readonly isStopping: () => boolean;
  readonly log: Logger;
}

const CONTENT_TYPE = 'application/x-protobuf';
const VERSION_HEADER = 'x-prometheus-remote-write-version';

/** Checks remote write 1.0's headers; absent version header is taken as 0.1.0, as Prometheus' own receiver does. */
function checkHeaders(req: IncomingMessage): void {
  const type = mediaType(req);
  if (type !== CONTENT_TYPE) {
    throw new UnsupportedMediaTypeError(`remote write 1.0 needs Content-Type ${CONTENT_TYPE}, got ${JSON.stringify(req.headers['content-type'] ?? '')}`);
  }
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== 'snappy') {
    throw new UnsupportedMediaTypeError(`remote write 1.0 needs Content-Encoding snappy, got ${JSON.stringify(encoding)}`);
  }
  const version = req.headers[VERSION_HEADER];
  if (typeof version === 'string' && !/^0\.1(\.\d+)?$/.test(version.trim())) {
    throw new UnsupportedMediaTypeError(`only remote write 1.0 (X-Prometheus-Remote-Write-Version 0.1.0) is spoken here, got ${JSON.stringify(version)}`);
  }
}

/**
 * `POST /api/v1/write`: Prometheus remote write 1.0. 204 once Kafka
 * acknowledged every valid sample; 400 with the reasons when some samples were
 * invalid (the valid rest is taken, as Prometheus' own receiver does); the
 * catalogue's status (401, 413, 415, 429, 503) when the request is refused whole.
 */
export function remoteWriteRoute(deps: WriteRouteDeps, answered: (status: number) => void): Route {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    try {
      admitWrite(req, deps);
      checkHeaders(req);
      const body = await readBody(req, deps.maxBodyBytes);
      const raw = unsnappy(body, deps.maxDecompressedBytes);
      let request: WriteRequestMessage;
      try {
        request = deps.schemas.writeRequest.decode(raw) as unknown as WriteRequestMessage;
      } catch (err) {
        throw new MalformedBodyError(`not a remote write WriteRequest: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const result = await takeSamples(deps.intake, convertWriteRequest(request), { protocol: 'remote-write', requestId });
      if (result.rejected.length === 0) {
        res.writeHead(204).end();
        answered(204);
        return;
      }
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${result.rejected.length} samples rejected (${result.accepted} accepted), request ${requestId}:\n${summariseRejections(result.rejected)}\n`);
      answered(400);
    } catch (err) {
      const status = answerError(res, err, 'remote-write', plainErrorBody);
      // Refusals are the sender's to see; Kafka failures are logged once by the writer.
      if (status === 500) deps.log.error({ err, requestId }, 'remote write request failed');
      answered(status);
    }
  };
}
