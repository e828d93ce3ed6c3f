import type { Admin } from 'kafkajs';
import { readRingStatus, renderRingPage, type RingStatusStore } from '@ringtail/ring-status';
import type { Route } from '@ringtail/runtime';

export interface RingRoutesOptions {
  readonly admin: Admin;
  readonly status: RingStatusStore;
  readonly topic: string;
  readonly groupId: string;
}

/**
 * `/ring`: the shard ring as every worker can see it, an HTML page for a
 * browser, or JSON for `Accept: application/json` (or `?format=json`). It is
 * the same status `ringtail ring status` prints.
 */
export function ringRoutes(o: RingRoutesOptions): Record<string, Route> {
  return {
    '/ring': async (req, res) => {
      const nowMs = Date.now();
      const status = await readRingStatus({ admin: o.admin, store: o.status, topic: o.topic, groupId: o.groupId, nowMs });
      const wantsJson = (req.headers.accept ?? '').includes('application/json') || /[?&]format=json\b/.test(req.url ?? '');
      if (wantsJson) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderRingPage(status, nowMs));
    },
  };
}
