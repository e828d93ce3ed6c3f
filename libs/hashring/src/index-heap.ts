/**
 * A binary heap of small integers (member indices) ordered by a caller-given
 * `before` relation. Only the top is ever changed in place, so the heap offers
 * `top()` and `siftTop()` (restore order after the top's key changed) and
 * nothing else. Internal to the slot allocator.
 */
export class IndexHeap {
  private readonly items: number[];

  /** Heapifies `items` (taken over, not copied) under `before`. */
  constructor(
    items: number[],
    private readonly before: (a: number, b: number) => boolean,
  ) {
    this.items = items;
    for (let i = (items.length >>> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** The first item under `before`; undefined when empty. */
  top(): number | undefined {
    return this.items[0];
  }

  /** Restores heap order after the key of the top item got later under `before`. */
  siftTop(): void {
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const items = this.items;
    const n = items.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      let child = left;
      if (right < n && this.before(items[right] as number, items[left] as number)) child = right;
      if (!this.before(items[child] as number, items[i] as number)) return;
      const tmp = items[i] as number;
      items[i] = items[child] as number;
      items[child] = tmp;
      i = child;
    }
  }
}
