import type { Consumer } from 'kafkajs';
import { backoffDelayMs, type BackoffPolicy } from '@ringtail/model';
import type { Logger } from './logger.ts';
import { Counter, Gauge, type MetricsRegistry } from './metrics.ts';

/** Where the supervised work stands; exported as a 0/1 gauge per state. */
export const SUPERVISED_STATES = ['starting', 'running', 'rebalancing', 'restarting', 'exiting', 'stopped'] as const;
export type SupervisedState = (typeof SUPERVISED_STATES)[number];

/**
 * What to do when the work dies for good: `restart` it in this process after a
 * backoff, or `exit` the process non-zero so its supervisor (systemd,
 * Kubernetes, docker) starts a fresh one.
 */
export type CrashPolicy = 'restart' | 'exit';

export interface CrashSupervisorOptions {
  /** What is supervised, for logs and /readyz: `raw consumer`. */
  readonly name: string;
  readonly policy: CrashPolicy;
  /** Brings the work up again (restart policy): for a kafkajs consumer, connect and run it again. */
  readonly restart?: () => Promise<void>;
  /** Delay between restarts; attempts count again from 1 once the work ran longer than `maxMs`. */
  readonly backoff?: BackoffPolicy;
  readonly metrics: MetricsRegistry;
  /** Prefix of the metrics, e.g. `ringtail_ingest_consumer`: `<prefix>_state{state}` and `<prefix>_restarts_total{by}`. */
  readonly metricPrefix: string;
  readonly log: Logger;
  /** Called with 1 under the exit policy; process.exit by default. */
  readonly exit?: (code: number) => void;
  readonly random?: () => number;
  readonly nowMs?: () => number;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * Keeps long-running work (a Kafka consumer, a service's loops) alive or ends
 * the process: the one place that decides what a crash leads to, and says so
 * on /readyz (`describe()`) and in metrics. Call `running()`, `rebalancing()`
 * and `crashed()` as the work reports (or `watchConsumer` for kafkajs), and
 * `stop()` at shutdown so no restart races it.
 */
export class CrashSupervisor {
  private current: SupervisedState = 'starting';
  private attempt = 0;
  private runningSinceMs: number | undefined;
  private lastError = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly stateGauge: Gauge<'state'>;
  private readonly restarts: Counter<'by'>;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly o: CrashSupervisorOptions) {
    if (o.policy === 'restart' && o.restart === undefined) throw new Error(`${o.name}: the restart policy needs a restart function`);
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.stateGauge = new Gauge({
      name: `${o.metricPrefix}_state`,
      help: `1 for the state the ${o.name} is in (${SUPERVISED_STATES.join(', ')}), 0 for the others.`,
      labelNames: ['state'],
      registers: [o.metrics],
    });
    this.restarts = new Counter({
      name: `${o.metricPrefix}_restarts_total`,
      help: `Restarts of the ${o.name} after a crash, by who restarted it (kafkajs itself, or the supervisor).`,
      labelNames: ['by'],
      registers: [o.metrics],
    });
    this.set('starting');
  }

  state(): SupervisedState {
    return this.current;
  }

  isRunning(): boolean {
    return this.current === 'running';
  }

  /** One line for /readyz: the state and, after a crash, the attempt and the error. */
  describe(): string {
    if (this.current === 'restarting') return `${this.o.name} restarting (attempt ${this.attempt}) after: ${this.lastError}`;
    if (this.current === 'exiting') return `${this.o.name} crashed, exiting: ${this.lastError}`;
    return `${this.o.name} ${this.current}`;
  }

  running(): void {
    if (this.current === 'stopped') return;
    this.runningSinceMs = this.now();
    this.set('running');
  }

  rebalancing(): void {
    if (this.current === 'running') this.set('rebalancing');
  }

  /**
   * The work crashed. `recovering`: it restarts on its own (kafkajs does after
   * a retriable error), so only the state changes. Otherwise the policy applies.
   */
  crashed(err: unknown, recovering = false): void {
    if (this.current === 'stopped' || this.current === 'exiting') return;
    this.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    if (this.runningSinceMs !== undefined && this.now() - this.runningSinceMs > this.backoff.maxMs) this.attempt = 0;
    this.runningSinceMs = undefined;
    this.attempt += 1;
    if (recovering) {
      this.o.log.warn({ err, attempt: this.attempt }, `${this.o.name} crashed; it restarts itself`);
      this.restarts.inc({ by: 'kafkajs' });
      this.set('restarting');
      return;
    }
    if (this.o.policy === 'exit') {
      this.o.log.fatal({ err }, `${this.o.name} crashed; exiting so the process is restarted`);
      this.set('exiting');
      (this.o.exit ?? ((code: number) => process.exit(code)))(1);
      return;
    }
    const delayMs = backoffDelayMs(this.backoff, this.attempt, (this.o.random ?? Math.random)());
    this.o.log.error({ err, attempt: this.attempt, delayMs }, `${this.o.name} crashed; restarting it`);
    this.set('restarting');
    this.timer = setTimeout(() => void this.restartNow(), delayMs);
  }

  /**
   * A supervisor that restarts `consumer` in-process after a crash kafkajs does
   * not recover from, by connecting it and calling `run` (consumer.run with the
   * options start-up used; subscriptions survive a crash) again.
   */
  static restartingConsumer(
    consumer: Consumer,
    run: () => Promise<void>,
    o: Omit<CrashSupervisorOptions, 'policy' | 'restart'>,
  ): CrashSupervisor {
    const supervisor = new CrashSupervisor({
      ...o,
      policy: 'restart',
      restart: async () => {
        await consumer.connect();
        await run();
      },
    });
    supervisor.watchConsumer(consumer);
    return supervisor;
  }

  /** kafkajs reports: GROUP_JOIN is running, REBALANCING is rebalancing, CRASH is a crash (recovering when kafkajs restarts itself). */
  watchConsumer(consumer: Consumer): void {
    consumer.on(consumer.events.GROUP_JOIN, () => this.running());
    consumer.on(consumer.events.REBALANCING, () => this.rebalancing());
    consumer.on(consumer.events.CRASH, (e) => this.crashed(e.payload.error, e.payload.restart));
  }

  /** No restarts from now on (shutdown). */
  stop(): void {
    clearTimeout(this.timer);
    this.set('stopped');
  }

  private async restartNow(): Promise<void> {
    if (this.current !== 'restarting') return;
    try {
      await this.o.restart!();
      this.restarts.inc({ by: 'supervisor' });
    } catch (err) {
      // Could not even start (e.g. no broker yet): the next attempt waits longer.
      this.crashed(err);
    }
  }

  private set(state: SupervisedState): void {
    this.current = state;
    for (const s of SUPERVISED_STATES) this.stateGauge.set({ state: s }, s === state ? 1 : 0);
  }

  private now(): number {
    return (this.o.nowMs ?? (() => performance.now()))();
  }
}
