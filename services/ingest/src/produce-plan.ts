import type { Message, TopicMessages } from 'kafkajs';

/** The messages for one topic partition, in the order they must be written. */
export interface PartitionMessages {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly Message[];
}

// Record framing in a v2 record batch: length, attributes, deltas, header counts.
const RECORD_OVERHEAD_BYTES = 32;

/** Approximate bytes `m` takes in a record batch. */
export function messageBytes(m: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + (m.value?.length ?? 0) + (m.key?.length ?? 0);
  if (m.headers) for (const k in m.headers) bytes += k.length + String(m.headers[k] ?? '').length + 2;
  return bytes;
}

/**
 * Splits writes into produce requests to send one after the other. kafkajs puts
 * all messages for one partition of one request into a single record batch, and
 * the broker refuses a batch over the topic's `max.message.bytes` (a permanent
 * MESSAGE_TOO_LARGE that would stall ingest), so each request carries at most
 * `maxBatchBytes` per partition — or a single message when one alone is larger.
 * Order within a partition is kept: its messages are spread over consecutive requests.
 */
export function planProduceRequests(writes: readonly PartitionMessages[], maxBatchBytes: number): TopicMessages[][] {
  const cursors = writes.map(() => 0);
  const requests: TopicMessages[][] = [];
  for (;;) {
    const byTopic = new Map<string, Message[]>();
    writes.forEach((w, i) => {
      let at = cursors[i] as number;
      let bytes = 0;
      while (at < w.messages.length) {
        const m = w.messages[at] as Message;
        const size = messageBytes(m);
        if (bytes > 0 && bytes + size > maxBatchBytes) break;
        let list = byTopic.get(w.topic);
        if (list === undefined) byTopic.set(w.topic, (list = []));
        list.push({ ...m, partition: w.partition });
        bytes += size;
        at++;
      }
      cursors[i] = at;
    });
    if (byTopic.size === 0) return requests;
    requests.push([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }
}
