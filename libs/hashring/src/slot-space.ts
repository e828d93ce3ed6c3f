/**
 * The fixed slot space of the slot ring. A series falls in slot
 * `hi >>> (32 - SLOT_BITS)`: the top bits of its 64-bit hash.
 */
export const SLOT_BITS = 16;
/** Number of slots: 65,536. A ring table is one uint16 member index per slot (128 KiB). */
export const SLOT_COUNT = 1 << SLOT_BITS;
/** Right shift that turns the upper hash word into a slot. */
export const SLOT_SHIFT = 32 - SLOT_BITS;
/**
 * Most workers one ring holds. At this size every equal-weight worker still has
 * 16 slots; peak/mean load is at most 1 + N / SLOT_COUNT (≤ 1.0625 here,
 * ≤ 1.016 at N = 1000).
 */
export const MAX_WORKERS = 4096;
/** Largest worker weight accepted by `join`. Keeps every load product far below 2^53. */
export const MAX_WEIGHT = 1 << 16;
