import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, Secret, startOpsServer, type HttpAuth } from '@ringtail/runtime';

async function withServer(auth: HttpAuth, fn: (get: (path: string, token?: string) => Promise<number>) => Promise<void>): Promise<void> {
  const server = await startOpsServer({
    port: 0,
    metrics: createMetricsRegistry(),
    isReady: () => true,
    auth,
    routes: { '/ring': (_req, res) => void res.end('ring') },
  });
  const get = async (path: string, token?: string) =>
    (await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).status;
  try {
    await fn(get);
  } finally {
    await server.close();
  }
}

describe('the ops server with bearer tokens', () => {
  it('guards extra routes and leaves /healthz, /readyz and /metrics open', async () => {
    await withServer({ tokens: [new Secret('tok-a'), new Secret('tok-b')], opsEndpoints: false }, async (get) => {
      expect(await get('/ring')).toBe(401);
      expect(await get('/ring', 'tok-c')).toBe(401);
      expect(await get('/ring', 'tok-a')).toBe(200);
      expect(await get('/ring', 'tok-b')).toBe(200);
      for (const path of ['/healthz', '/readyz', '/metrics']) expect(await get(path)).toBe(200);
    });
  });

  it('guards the ops endpoints too when HTTP_AUTH_OPS_ENDPOINTS is set', async () => {
    await withServer({ tokens: [new Secret('tok-a')], opsEndpoints: true }, async (get) => {
      for (const path of ['/healthz', '/readyz', '/metrics', '/ring']) {
        expect(await get(path)).toBe(401);
        expect(await get(path, 'tok-a')).toBe(200);
      }
    });
  });

  it('is open with no tokens', async () => {
    await withServer({ tokens: [], opsEndpoints: false }, async (get) => {
      expect(await get('/ring')).toBe(200);
    });
  });
});
