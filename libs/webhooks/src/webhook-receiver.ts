import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from './webhook-signature.ts';

/** The parts of an Alertmanager v4 webhook body that receivers here read. */
export interface AlertWebhookBody {
  readonly status: string;
  readonly alerts: readonly {
    readonly status: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly fingerprint: string;
    readonly startsAt: string;
    readonly value: number | null;
  }[];
}

export interface ReceivedWebhook {
  /** Arrival time, epoch ms, from the receiver's clock. */
  readonly atMs: number;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, exactly as received. */
  readonly body: string;
  /** The status the receiver answered. */
  readonly status: number;
  /** The `webhook-id` header ('' when absent). */
  readonly id: string;
  /** The body parsed as JSON; null when it is not JSON. */
  readonly json: AlertWebhookBody | null;
  /** Whether the signature verified; null when the receiver has no secret. */
  readonly verified: boolean | null;
}

/** A queued answer: status, headers, and a delay before answering. */
export interface WebhookReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
}

export interface WebhookReceiverOptions {
  /** When set, every request's Standard Webhooks signature is checked and a failing one is answered 401. */
  readonly secret?: string | readonly string[];
  /** Path in the URL handed out (any path is accepted). Default `/hook`. */
  readonly path?: string;
  /** Status of a successful answer when no reply is queued. Default 200. */
  readonly okStatus?: number;
  /** Called once per request after it is recorded (printing, latency bookkeeping). */
  readonly onReceive?: (webhook: ReceivedWebhook) => void;
  readonly clock?: () => number;
}

function parseJson(body: string): AlertWebhookBody | null {
  try {
    return JSON.parse(body) as AlertWebhookBody;
  } catch {
    return null;
  }
}

/**
 * A real webhook receiver on a random loopback port: records every request,
 * verifies signatures when given a secret, and answers queued replies (then
 * `okStatus`). The one receiver of the demo, the benchmarks and the tests.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly replies: WebhookReply[] = [];
  private readonly clock: () => number;

  private constructor(
    private readonly server: Server,
    private readonly options: WebhookReceiverOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  static async start(options: WebhookReceiverOptions = {}): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server, options);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = receiver.answer(req.headers, Buffer.concat(chunks).toString('utf8'));
        setTimeout(() => {
          if (!res.destroyed) res.writeHead(reply.status, reply.headers ?? {}).end();
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}${this.options.path ?? '/hook'}`;
  }

  /** Queues the next replies; once they are used up the receiver answers `okStatus` again. */
  reply(...replies: WebhookReply[]): void {
    this.replies.push(...replies);
  }

  /** Webhooks answered 2xx, i.e. delivered; optionally only those of one notification status. */
  delivered(status?: 'firing' | 'resolved'): ReceivedWebhook[] {
    return this.received.filter((w) => w.status >= 200 && w.status < 300 && (status === undefined || w.json?.status === status));
  }

  /** Throws WebhookVerificationError unless every request so far carries a valid signature for `secret`. */
  verifyAll(secret: string | readonly string[]): void {
    for (const w of this.received) verifyWebhook({ secret, headers: w.headers, body: w.body });
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(headers: IncomingHttpHeaders, body: string): WebhookReply {
    const atMs = this.clock();
    const verified = this.options.secret === undefined ? null : this.verifies(headers, body, atMs);
    const reply = verified === false ? { status: 401 } : (this.replies.shift() ?? { status: this.options.okStatus ?? 200 });
    const webhook: ReceivedWebhook = { atMs, headers, body, status: reply.status, id: String(headers['webhook-id'] ?? ''), json: parseJson(body), verified };
    this.received.push(webhook);
    this.options.onReceive?.(webhook);
    return reply;
  }

  private verifies(headers: IncomingHttpHeaders, body: string, nowMs: number): boolean {
    try {
      verifyWebhook({ secret: this.options.secret!, headers, body, nowMs });
      return true;
    } catch {
      return false;
    }
  }
}
