import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HostPort } from './host-ports.ts';

/**
 * Probes that tell what a server's port demands when a client meets only a
 * closed connection: a TLS listener drops plaintext bytes without a reply, and
 * a Kafka SASL listener drops any request but its handshake. Each probe opens
 * one short-lived connection, never presents credentials, and never verifies
 * the server's certificate (it only asks whether TLS is spoken at all).
 */

/** Bound of one probe, connect and answer together. */
export const PROBE_TIMEOUT_MS = 3000;

/** True when `at` completes a TLS handshake: the port speaks TLS. False when it refuses, drops it or stays silent. */
export async function speaksTls(at: HostPort, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  const socket = tlsConnect({ host: at.host, port: at.port, rejectUnauthorized: false, ...sniOf(at.host) });
  return settle(socket, timeoutMs, 'secureConnect', () => true, () => false);
}

/**
 * What a Kafka listener answers to a SaslHandshake request (api key 17, v1,
 * mechanism PLAIN): `sasl` with the broker's enabled mechanisms on a SASL
 * listener, `no-sasl` on one without SASL (error ILLEGAL_SASL_STATE), `closed`
 * when the broker dropped the request unanswered (or the TLS handshake
 * failed), `unreachable` when nothing answered at all.
 */
export type KafkaListenerAnswer = { readonly kind: 'sasl'; readonly mechanisms: readonly string[] } | { readonly kind: 'no-sasl' | 'closed' | 'unreachable' };

export async function kafkaSaslHandshake(at: HostPort, overTls: boolean, timeoutMs = PROBE_TIMEOUT_MS): Promise<KafkaListenerAnswer> {
  const socket: Socket = overTls ? tlsConnect({ host: at.host, port: at.port, rejectUnauthorized: false, ...sniOf(at.host) }) : netConnect({ host: at.host, port: at.port });
  let connected = false;
  let received = Buffer.alloc(0);
  return settle<KafkaListenerAnswer>(
    socket,
    timeoutMs,
    overTls ? 'secureConnect' : 'connect',
    () => {
      connected = true;
      socket.write(saslHandshakeRequest());
      return null;
    },
    () => (connected ? { kind: 'closed' } : { kind: overTls ? 'closed' : 'unreachable' }),
    (chunk) => {
      received = Buffer.concat([received, chunk]);
      return parseSaslHandshakeResponse(received);
    },
  );
}

const SASL_HANDSHAKE_API_KEY = 17;
const SASL_HANDSHAKE_VERSION = 1;
const CORRELATION_ID = 1;
const CLIENT_ID = 'ringtail-probe';
const PROBE_MECHANISM = 'PLAIN';
// Kafka's error codes: the mechanism is unknown (the answer still lists the enabled ones), and "not a SASL listener".
const UNSUPPORTED_SASL_MECHANISM = 33;
const ILLEGAL_SASL_STATE = 34;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Request header v1 (api key, version, correlation id, client id) and the mechanism, length-prefixed. */
function saslHandshakeRequest(): Buffer {
  const clientId = Buffer.from(CLIENT_ID);
  const mechanism = Buffer.from(PROBE_MECHANISM);
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 2 + mechanism.length);
  let at = body.writeInt16BE(SASL_HANDSHAKE_API_KEY, 0);
  at = body.writeInt16BE(SASL_HANDSHAKE_VERSION, at);
  at = body.writeInt32BE(CORRELATION_ID, at);
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  at = body.writeInt16BE(mechanism.length, at);
  mechanism.copy(body, at);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** The answer in `bytes` once a whole response arrived; null while more is due. */
function parseSaslHandshakeResponse(bytes: Buffer): KafkaListenerAnswer | null {
  if (bytes.length < 4) return null;
  const size = bytes.readInt32BE(0);
  if (size < 6 || size > MAX_RESPONSE_BYTES) return { kind: 'closed' };
  if (bytes.length < 4 + size) return null;
  const error = bytes.readInt16BE(8);
  if (error === ILLEGAL_SASL_STATE) return { kind: 'no-sasl' };
  if (error !== 0 && error !== UNSUPPORTED_SASL_MECHANISM) return { kind: 'closed' };
  const mechanisms: string[] = [];
  let at = 10;
  const count = size >= 10 ? bytes.readInt32BE(at) : 0;
  at += 4;
  for (let i = 0; i < count && at + 2 <= 4 + size; i++) {
    const length = bytes.readInt16BE(at);
    mechanisms.push(bytes.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { kind: 'sasl', mechanisms };
}

// Node refuses an IP address as the TLS server name.
function sniOf(host: string): { servername?: string } {
  return isIP(host) === 0 ? { servername: host } : {};
}

/**
 * Resolves with the first non-null of: `onReady` once `readyEvent` fired, `onData`
 * per chunk; with `onEnd` when the socket closes, fails or `timeoutMs` passes.
 * The socket is destroyed either way.
 */
function settle<T>(socket: Socket, timeoutMs: number, readyEvent: string, onReady: () => T | null, onEnd: () => T, onData?: (chunk: Buffer) => T | null): Promise<T> {
  return new Promise<T>((resolve) => {
    let done = false;
    const finish = (value: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(onEnd()), timeoutMs);
    socket.once(readyEvent, () => {
      const value = onReady();
      if (value !== null) finish(value);
    });
    if (onData) {
      socket.on('data', (chunk: Buffer) => {
        const value = onData(chunk);
        if (value !== null) finish(value);
      });
    }
    socket.on('error', () => finish(onEnd()));
    socket.on('close', () => finish(onEnd()));
  });
}
