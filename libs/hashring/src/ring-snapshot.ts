import { InvalidSnapshotError } from './errors.ts';
import type { SlotState } from './slot-allocator.ts';
import { MAX_WEIGHT, MAX_WORKERS, SLOT_BITS, SLOT_COUNT } from './slot-space.ts';

/**
 * Plain JSON form of a slot ring. Rebuilding from it gives the exact same
 * owner for every key in every process. About 175 KB as JSON at any size.
 */
export interface RingSnapshot {
  readonly format: 'ringtail.slot-ring';
  readonly version: 1;
  readonly slotBits: number;
  /** Members in join order, with their weights. */
  readonly members: readonly { readonly id: string; readonly weight: number }[];
  /** Base64 of one little-endian uint16 member index per slot (2 × 65,536 bytes). */
  readonly table: string;
}

/** Encodes ring state as a snapshot. */
export function encodeSnapshot(state: SlotState): RingSnapshot {
  const bytes = new Uint8Array(SLOT_COUNT * 2);
  for (let s = 0; s < SLOT_COUNT; s++) {
    const owner = state.table[s] as number;
    bytes[2 * s] = owner & 0xff;
    bytes[2 * s + 1] = owner >>> 8;
  }
  return {
    format: 'ringtail.slot-ring',
    version: 1,
    slotBits: SLOT_BITS,
    members: state.ids.map((id, i) => ({ id, weight: state.weights[i] as number })),
    table: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}

/**
 * Decodes and validates a snapshot (for instance one parsed from JSON).
 * @throws InvalidSnapshotError when any field is missing, malformed or inconsistent.
 */
export function decodeSnapshot(snapshot: unknown): SlotState {
  if (typeof snapshot !== 'object' || snapshot === null) throw new InvalidSnapshotError('not an object');
  const s = snapshot as Partial<Record<keyof RingSnapshot, unknown>>;
  if (s.format !== 'ringtail.slot-ring') throw new InvalidSnapshotError(`unknown format ${String(s.format)}`);
  if (s.version !== 1) throw new InvalidSnapshotError(`unsupported version ${String(s.version)}`);
  if (s.slotBits !== SLOT_BITS) throw new InvalidSnapshotError(`slotBits must be ${SLOT_BITS}`);
  if (!Array.isArray(s.members) || s.members.length > MAX_WORKERS) {
    throw new InvalidSnapshotError(`members must be an array of at most ${MAX_WORKERS}`);
  }
  const ids: string[] = [];
  const weights: number[] = [];
  const seen = new Set<string>();
  for (const m of s.members as unknown[]) {
    const { id, weight } = (m ?? {}) as { id?: unknown; weight?: unknown };
    if (typeof id !== 'string' || id.length === 0 || seen.has(id)) {
      throw new InvalidSnapshotError(`member id ${JSON.stringify(id)} is empty, not a string or repeated`);
    }
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
      throw new InvalidSnapshotError(`member ${id} has weight ${String(weight)}, not an integer in 1..${MAX_WEIGHT}`);
    }
    seen.add(id);
    ids.push(id);
    weights.push(weight);
  }
  if (typeof s.table !== 'string') throw new InvalidSnapshotError('table must be a base64 string');
  const bytes = Buffer.from(s.table, 'base64');
  if (bytes.length !== SLOT_COUNT * 2) throw new InvalidSnapshotError(`table must decode to ${SLOT_COUNT * 2} bytes`);
  const table = new Uint16Array(SLOT_COUNT);
  const limit = Math.max(ids.length, 1);
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const owner = (bytes[2 * slot] as number) | ((bytes[2 * slot + 1] as number) << 8);
    if (owner >= limit) throw new InvalidSnapshotError(`slot ${slot} points at member ${owner} of ${ids.length}`);
    table[slot] = owner;
  }
  return { ids, weights, table };
}
