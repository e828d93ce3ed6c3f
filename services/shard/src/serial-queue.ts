/**
 * Runs tasks one at a time in submission order. Consumption, timed flushes and
 * rebalance resets all touch the aggregator; serializing them keeps one flush
 * batch in flight and the aggregator consistent without locks in domain code.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
