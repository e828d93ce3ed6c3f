import { StackError } from './errors.ts';
import { KafkaBroker } from './kafka-broker.ts';
import { describeMismatch, type ProcessFileState } from './process-files.ts';
import { RedisSentinelSet } from './redis-sentinel-set.ts';
import { endpointsOf, type StackEndpoints, type StackTopology } from './topology.ts';

/**
 * `running`: our process runs; `stopped`: nothing to stop; `mismatch`: the pid file
 * names a live process of the stack's kind with other settings (see ProcessMismatch),
 * which `up` and `down` leave alone.
 */
export type ComponentState = 'running' | 'stopped' | 'mismatch';

export interface ComponentStatus {
  readonly name: string;
  readonly state: ComponentState;
  /** Set only when `running`: the pid of our process. */
  readonly pid?: number;
  readonly listen: string;
  /** Set only on a mismatch: which file names which process, and what was expected. */
  readonly mismatch?: string;
}

function componentStatus(name: string, listen: string, state: ProcessFileState): ComponentStatus {
  switch (state.kind) {
    case 'ours':
      return { name, state: 'running', pid: state.pid, listen };
    case 'mismatch':
      return { name, state: 'mismatch', listen, mismatch: describeMismatch(name, state) };
    case 'stale':
      return { name, state: 'stopped', listen };
  }
}

/** The stack as local processes: one Kafka JVM, two Redis data nodes, three Sentinels. */
export class LocalStack {
  private readonly kafka: KafkaBroker;
  private readonly redis: RedisSentinelSet;

  constructor(private readonly t: StackTopology) {
    this.kafka = new KafkaBroker(t);
    this.redis = new RedisSentinelSet(t);
  }

  /** Idempotent: starts what is not running and waits until all of it is ready. */
  async up(): Promise<StackEndpoints> {
    // Both start in parallel; the JVM is the slow one.
    await Promise.all([this.kafka.up(), this.redis.up()]);
    return endpointsOf(this.t);
  }

  /**
   * Stops every process this stack started; data stays under the cache folder. Both
   * parts are always tried; a pid file that names a process of other settings is kept
   * and reported by the StackError thrown at the end (STACK_PROCESS_MISMATCH).
   */
  async down(): Promise<void> {
    const results = await Promise.allSettled([this.kafka.down(), this.redis.down()]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length === 0) return;
    const mismatches = failures.filter((f): f is StackError => f instanceof StackError && f.code === 'STACK_PROCESS_MISMATCH');
    // Every kept pid file in one report, unless something else went wrong too.
    if (failures.length > 1 && mismatches.length === failures.length) {
      throw new StackError('STACK_PROCESS_MISMATCH', mismatches.map((e) => e.message).join('\n'));
    }
    throw failures[0];
  }

  /** Stops only the Kafka broker, for fault-injection tests; `up()` starts it again. */
  async stopKafka(): Promise<void> {
    await this.kafka.down();
  }

  /** Each component's state, Kafka first. */
  status(): ComponentStatus[] {
    const t = this.t;
    return [
      componentStatus(`kafka ${t.kafkaVersion}`, `127.0.0.1:${t.kafkaPort}`, this.kafka.state()),
      ...this.redis.states().map(({ name, port, state }) => componentStatus(name, `127.0.0.1:${port}`, state)),
    ];
  }

  /** Pid of a Redis data node by port, for fault-injection tests that kill the primary. */
  redisPidByPort(port: number): number | undefined {
    if (port !== this.t.redisPrimaryPort && port !== this.t.redisReplicaPort) return undefined;
    const state = this.redis.states().find((inst) => inst.port === port)?.state;
    return state?.kind === 'ours' ? state.pid : undefined;
  }
}
