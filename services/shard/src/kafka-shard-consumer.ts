import type { Consumer } from 'kafkajs';
import type { ShardConsumerPort } from './shard-ports.ts';

/** ShardConsumerPort on a running kafkajs consumer. */
export function kafkaShardConsumer(consumer: Consumer): ShardConsumerPort {
  return {
    commit: (topic, offsets) => consumer.commitOffsets(offsets.map((o) => ({ topic, partition: o.partition, offset: o.offset }))),
    seek: (topic, partition, offset) => consumer.seek({ topic, partition, offset }),
  };
}
