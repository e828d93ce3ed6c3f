import { Partitioners, type ICustomPartitioner, type Message, type PartitionerArgs } from 'kafkajs';

/**
 * kafkajs' partitioner, except that a message without a partition or key keeps
 * the partition it was first given for as long as the message object lives.
 *
 * kafkajs places messages anew on every retry of a send. Its default
 * partitioner spreads keyless messages round robin, so a retry puts them on
 * other partitions, under other sequence numbers. If the first attempt reached
 * the log (a broker killed after appending but before answering, or a request
 * timed out), the idempotent producer cannot recognise the retry, and the
 * samples are in the raw topic twice. With the first choice kept, a retry is
 * the same batch with the same sequence on the same partition, which the broker
 * drops as a duplicate.
 */
export const retryStablePartitioner: ICustomPartitioner = () => {
  const spread = Partitioners.DefaultPartitioner();
  const chosen = new WeakMap<Message, number>();
  return (args: PartitionerArgs): number => {
    const { message } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (message.key !== undefined && message.key !== null) return spread(args);
    const earlier = chosen.get(message);
    if (earlier !== undefined && earlier < args.partitionMetadata.length) return earlier;
    const partition = spread(args);
    chosen.set(message, partition);
    return partition;
  };
};
