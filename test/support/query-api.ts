import { ServiceProcess } from '@ringtail/stack';

const LOG_DIR = new URL('../../.cache/test-logs', import.meta.url).pathname;

/** The query API as its own process, in the namespace of `env`. */
export function queryApiProcess(name: string, env: Readonly<Record<string, string>>): ServiceProcess {
  return new ServiceProcess({ name, entry: 'services/query/src/main.ts', env, logDir: LOG_DIR });
}

/** Prometheus' API envelope. */
export interface ApiBody {
  readonly status: 'success' | 'error';
  readonly data?: unknown;
  readonly errorType?: string;
  readonly error?: string;
}

/** The status and parsed JSON body of a GET, or of a form POST when `form` is set. */
export async function apiGet(baseUrl: string, path: string, params: Record<string, string | string[]>, form = false): Promise<{ status: number; body: ApiBody }> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) search.append(k, one);
  const res = form
    ? await fetch(`${baseUrl}${path}`, { method: 'POST', body: search.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    : await fetch(`${baseUrl}${path}?${search}`);
  return { status: res.status, body: (await res.json()) as ApiBody };
}
