import { redisKeys } from '@ringtail/model';

/**
 * Redis key names of the alerter: built here and nowhere else. Every key sits
 * under the namespace's `{rt:<ns>}:` hash tag, so each script's keys share one
 * Redis Cluster slot.
 */
export interface AlerterKeys {
  /** String `<token> <instanceId>`: the leader lease; its token fences every write. */
  readonly lease: string;
  /** Counter: the last fencing token handed out. */
  readonly fence: string;
  /** Hash: alert id → AlertRecord JSON. */
  readonly alerts: string;
  /** String: id of the last applied evaluation commit (makes a re-sent commit script harmless). */
  readonly lastCommit: string;
  /** Hash: notification group key → GroupState JSON. */
  readonly groups: string;
  /** Stream: the outbox, one entry per notification. */
  readonly outbox: string;
  /** Sorted set: outbox entry ids still to deliver, scored by when the next attempt is due (epoch ms). */
  readonly due: string;
  /** Hash: outbox entry id → failed attempts so far. */
  readonly attempts: string;
  /** Stream: dead letters (notifications given up on), replayable. */
  readonly dead: string;
  /** Hash: receiver name → JSON {atMs, reason} of receivers disabled by 410 Gone. */
  readonly disabled: string;
}

export function alerterKeys(namespace: string): AlerterKeys {
  const p = `${redisKeys(namespace).prefix}alerter:`;
  return {
    lease: `${p}lease`,
    fence: `${p}fence`,
    alerts: `${p}alerts`,
    lastCommit: `${p}last-commit`,
    groups: `${p}groups`,
    outbox: `${p}outbox`,
    due: `${p}due`,
    attempts: `${p}attempts`,
    dead: `${p}dead`,
    disabled: `${p}disabled`,
  };
}
