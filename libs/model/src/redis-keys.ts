import { DEFAULT_SHARD_SLOTS, slotOfSeriesId } from './slots.ts';

/**
 * Redis key names of every Ringtail process — the shard workers' windows, the
 * series index, the alerter's state: built here and nowhere else.
 *
 * The keys one flush touches (a slot's windows and its watermarks) share the
 * slot's hash tag `{rt:<namespace>:<slot>}`, so under Redis Cluster the
 * shard topic's slots spread over the cluster's nodes, one flush script per
 * slot. The series index and descriptions are shared by all slots and carry
 * the namespace's tag `{rt:<namespace>}`; flushes add to them outside the
 * script (ZADD GT, SADD and HSET are idempotent), and they expire with the
 * series' last window or block (`seriesExpiry`). A reader finds a series' windows from
 * its id alone: the slot is a function of the id (see slots.ts).
 */
export interface RedisKeys {
  /** `{rt:<ns>}:`, the prefix of the namespace-wide keys (index, descriptions, ring status). */
  readonly prefix: string;
  /** A SCAN MATCH pattern for every key of the namespace, per-slot keys included. */
  readonly scanPattern: string;
  /** Slots the keys were built for (SHARD_SLOTS): readers and writers must agree. */
  readonly slotCount: number;
  /** Hash of one window: fields in `WINDOW_FIELDS`; carries the series' slot's hash tag. */
  window(seriesId: string, resolution: string, startMs: number): string;
  /** Hash of highest applied raw offsets of one slot: field = raw partition. */
  watermarks(slot: number): string;
  /**
   * String: the closed windows of one series in one resolution over one block
   * period (see window-block.ts); carries the series' slot's hash tag.
   */
  block(seriesId: string, resolution: string, blockStartMs: number): string;
  /** Sorted set of the hot windows of one slot and resolution: member `<seriesId>:<startMs>`, score startMs. */
  hotWindows(slot: number, resolution: string): string;
  /** Hash of one slot's closing state: `t` the slot clock (ms), and per resolution name the closed-through window start. */
  closure(slot: number): string;
  /**
   * Stream of one slot's changes: one entry per applied flush, written by the
   * flush script itself (see flush-2.lua), so an entry exists iff the change does.
   * Fields: `s` the changed series ids, `w` the changed windows as `<resolution>:<startMs>`,
   * both comma-separated. Capped at about CHANGE_STREAM_MAX_LEN entries.
   */
  changes(slot: number): string;
  /** Set of every metric name seen. */
  readonly metricNames: string;
  /** Set of series ids of one metric name. */
  seriesOfMetric(metricName: string): string;
  /** Set of series ids having label `name` = `value`. */
  seriesOfLabel(labelName: string, labelValue: string): string;
  /** Hash of one series: `name` and `labels` (JSON object). */
  series(seriesId: string): string;
  /**
   * Sorted set: series id, scored by the time (epoch ms) its last window or
   * block expires. Past it the series is gone from the index: readers hide it,
   * the shard's index janitor removes its entries. A series without a score
   * (indexed before expiry existed) counts as live.
   */
  readonly seriesExpiry: string;
  /** Hash of shard group members' own status: field = Kafka member id, value = JSON (see @ringtail/ring-status). */
  readonly ringMembers: string;
  /** List of the shard group's latest rebalances, newest first, JSON each (capped). */
  readonly ringRebalances: string;
}

/**
 * Approximate cap (XADD MAXLEN ~) of each slot's change stream: at ten flushes a
 * second per slot, about a quarter of an hour for a stopped alerter to catch up;
 * a reader that falls further behind falls back to a full evaluation.
 */
export const CHANGE_STREAM_MAX_LEN = 10_000;

/** Fields of a change stream entry (see `RedisKeys.changes`). */
export const CHANGE_FIELDS = { series: 's', windows: 'w' } as const;

/** Field of the closure hash holding the slot clock; the other fields are resolution names. */
export const SLOT_CLOCK_FIELD = 't';

/** The member of a hot-window index (`hotWindows`) naming one window. */
export function hotWindowMember(seriesId: string, startMs: number): string {
  return `${seriesId}:${startMs}`;
}

/** The series id and start of a hot-window index member; null if it is not one. */
export function parseHotWindowMember(member: string): { seriesId: string; startMs: number } | null {
  const at = member.lastIndexOf(':');
  const startMs = Number(member.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(startMs)) return null;
  return { seriesId: member.slice(0, at), startMs };
}

/** Field names of the series hash. */
export const SERIES_FIELDS = { name: 'name', labels: 'labels' } as const;

function namespacePrefix(namespace: string): string {
  return `{rt:${namespace}}:`;
}

/** The keys of `namespace` for a deployment of `slotCount` slots (SHARD_SLOTS). */
export function redisKeys(namespace: string, slotCount = DEFAULT_SHARD_SLOTS): RedisKeys {
  const prefix = namespacePrefix(namespace);
  const slotPrefix = (slot: number) => `{rt:${namespace}:${slot}}:`;
  return {
    prefix,
    // `{rt:<ns>}:` and `{rt:<ns>:<slot>}:`, never another namespace that merely starts the same.
    scanPattern: `{rt:${namespace}[}:]*`,
    slotCount,
    window: (id, resolution, startMs) => `${slotPrefix(slotOfSeriesId(id, slotCount))}w:${resolution}:${id}:${startMs}`,
    watermarks: (slot) => `${slotPrefix(slot)}wm`,
    block: (id, resolution, blockStartMs) => `${slotPrefix(slotOfSeriesId(id, slotCount))}b:${resolution}:${id}:${blockStartMs}`,
    hotWindows: (slot, resolution) => `${slotPrefix(slot)}hot:${resolution}`,
    closure: (slot) => `${slotPrefix(slot)}cl`,
    changes: (slot) => `${slotPrefix(slot)}ch`,
    metricNames: `${prefix}metrics`,
    seriesOfMetric: (name) => `${prefix}m:${name}`,
    // Label names cannot contain '=', so name=value is unambiguous.
    seriesOfLabel: (name, value) => `${prefix}l:${name}=${value}`,
    series: (id) => `${prefix}s:${id}`,
    seriesExpiry: `${prefix}series-expiry`,
    ringMembers: `${prefix}ring:members`,
    ringRebalances: `${prefix}ring:rebalances`,
  };
}

/**
 * Keys of the alerter's state. Every key sits under the namespace's
 * `{rt:<ns>}:` hash tag, so each alerter script's keys share one Redis Cluster slot.
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
  /** Hash: slot → id of the last change stream entry (see `RedisKeys.changes`) whose evaluation committed. */
  readonly changeCursors: string;
  /**
   * String: written by the dispatcher on its own connection just before each WAIT. WAIT covers
   * only its connection's writes; this write comes after the outbox entries the dispatcher read,
   * so the WAIT covers them wherever they were written.
   */
  readonly deliveryMark: string;
}

export function alerterKeys(namespace: string): AlerterKeys {
  const p = `${namespacePrefix(namespace)}alerter:`;
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
    changeCursors: `${p}change-cursors`,
    deliveryMark: `${p}delivery-mark`,
  };
}
