/**
 * Runs tasks one at a time in submission order. Consumption, taking a flush
 * batch and rebalance resets all touch the aggregator; serializing them keeps
 * it consistent without locks in domain code. Flushes run outside the queue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
