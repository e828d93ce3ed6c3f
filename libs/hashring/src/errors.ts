/**
 * Error catalogue of `@ringtail/hashring`. Check errors by class or `code`,
 * never by message text. None is retriable: each one means the caller asked for
 * something the ring state cannot give, and asking again gives the same answer.
 */

/** Thrown by a lookup on a ring that has no members. */
export class EmptyRingError extends Error {
  override readonly name = 'EmptyRingError' as const;
  readonly code = 'RING_EMPTY' as const;
  readonly retriable = false as const;

  constructor() {
    super('the ring has no workers: no owner for any series');
  }
}

/** Thrown by `join` when the worker is already a member. */
export class DuplicateWorkerError extends Error {
  override readonly name = 'DuplicateWorkerError' as const;
  readonly code = 'RING_DUPLICATE_WORKER' as const;
  readonly retriable = false as const;

  constructor(readonly worker: string) {
    super(`worker ${JSON.stringify(worker)} is already a member of the ring`);
  }
}

/** Thrown by `leave` when the worker is not a member. */
export class UnknownWorkerError extends Error {
  override readonly name = 'UnknownWorkerError' as const;
  readonly code = 'RING_UNKNOWN_WORKER' as const;
  readonly retriable = false as const;

  constructor(readonly worker: string) {
    super(`worker ${JSON.stringify(worker)} is not a member of the ring`);
  }
}

/** Thrown by `join` for an empty worker id or a weight outside 1..maxWeight. */
export class InvalidWorkerError extends Error {
  override readonly name = 'InvalidWorkerError' as const;
  readonly code = 'RING_INVALID_WORKER' as const;
  readonly retriable = false as const;

  constructor(
    readonly worker: string,
    readonly reason: string,
  ) {
    super(`cannot join worker ${JSON.stringify(worker)}: ${reason}`);
  }
}

/** Thrown by `join` when the ring already holds `have` = `max` workers. */
export class RingFullError extends Error {
  override readonly name = 'RingFullError' as const;
  readonly code = 'RING_FULL' as const;
  readonly retriable = false as const;

  constructor(
    readonly have: number,
    readonly max: number,
  ) {
    super(`the ring holds ${have} workers, the most it supports is ${max}`);
  }
}

/** Thrown by `fromSnapshot` when the snapshot is malformed or inconsistent. */
export class InvalidSnapshotError extends Error {
  override readonly name = 'InvalidSnapshotError' as const;
  readonly code = 'RING_INVALID_SNAPSHOT' as const;
  readonly retriable = false as const;

  constructor(readonly reason: string) {
    super(`invalid ring snapshot: ${reason}`);
  }
}

/** Thrown by `placeSlots` for arguments no placement can satisfy. */
export class InvalidPlacementError extends Error {
  override readonly name = 'InvalidPlacementError' as const;
  readonly code = 'RING_INVALID_PLACEMENT' as const;
  readonly retriable = false as const;

  constructor(readonly reason: string) {
    super(`cannot place slots: ${reason}`);
  }
}

/** Every error this package throws. */
export type HashringError =
  | EmptyRingError
  | DuplicateWorkerError
  | UnknownWorkerError
  | InvalidWorkerError
  | RingFullError
  | InvalidSnapshotError
  | InvalidPlacementError;
