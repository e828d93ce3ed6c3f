import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface WebhookBody {
  readonly status: string;
  readonly alerts: readonly { readonly labels: Readonly<Record<string, string>> }[];
}

/** A loopback webhook receiver that records when each alert's first firing notification arrived. */
export interface FiringReceiver {
  readonly url: string;
  /** Alert key (see `keyOf`) → arrival time in epoch ms of its first firing notification. */
  readonly firstFiringAtMs: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1; `keyOf` names an alert by its labels. Answers 200 to everything. */
export async function startFiringReceiver(keyOf: (labels: Readonly<Record<string, string>>) => string | undefined): Promise<FiringReceiver> {
  const firstFiringAtMs = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const atMs = Date.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookBody;
      if (body.status === 'firing') {
        for (const a of body.alerts) {
          const key = keyOf(a.labels);
          if (key !== undefined && !firstFiringAtMs.has(key)) firstFiringAtMs.set(key, atMs);
        }
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    firstFiringAtMs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
