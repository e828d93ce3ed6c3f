import { kafkaRefusal } from './kafka-client.ts';
import { ConnectionRefusedError } from './security-errors.ts';

/** `err` as a ConnectionRefusedError when it is a Kafka or Redis refusal, else `err` itself: for a process' last log line. */
export function explainStartupError(err: unknown): unknown {
  if (err instanceof ConnectionRefusedError) return err;
  return kafkaRefusal(err) ?? err;
}
