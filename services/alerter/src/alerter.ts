import { CrashSupervisor, checkRedisAccess, createMetricsRegistry, createSentinelClient, startOpsServer, type Logger } from '@ringtail/runtime';
import { alerterKeys, redisKeys } from '@ringtail/model';
import { AlertEvaluator } from './alert-evaluator.ts';
import { AlertStore } from './alert-store.ts';
import { AlerterLoops } from './alerter-loops.ts';
import { ChangeFollower } from './change-follower.ts';
import { ChangeRouter } from './change-router.ts';
import { alerterMetrics } from './alerter-metrics.ts';
import { apiRoutes } from './api-routes.ts';
import type { AlerterConfig } from './config.ts';
import { Dispatcher } from './dispatcher.ts';
import type { RuleSet } from './domain/rule.ts';
import { defaultReceiver } from './domain/rule-file.ts';
import type { RuleFileError } from './errors.ts';
import { LeaderLease } from './leader-lease.ts';
import { Outbox } from './outbox.ts';
import { redisWindowSource } from './redis-window-source.ts';
import { RuleLoader } from './rule-loader.ts';
import { withScripts } from './scripts.ts';
import { fetchWebhookSender } from './webhook-sender.ts';

// Long enough for a Sentinel lookup and a login on a loaded machine.
const REDIS_ACCESS_CHECK_MS = 10_000;
const CHANGE_READ_TIMEOUT_MS = 30_000;

export interface RunningAlerter {
  /** Port of the ops/API server. */
  readonly port: number;
  readonly instanceId: string;
  isLeader(): boolean;
  rules(): RuleSet;
  /** Re-reads the rule file (what SIGHUP does); returns the error and keeps the running rules if it is malformed. */
  reload(): RuleFileError | null;
  /** Stops evaluating and delivering, releases the lease, closes the server and Redis. */
  stop(): Promise<void>;
}

export interface AlerterOverrides {
  readonly clock?: () => number;
  readonly random?: () => number;
}

/**
 * Starts an alerter instance: loads the rules (throws RuleFileError if the
 * file is malformed), then competes for the leader lease; the leader
 * evaluates a rule when a shard flush changes a series it selects, at each
 * `for`/`keep_firing_for` deadline and every rule every `evalIntervalMs`, and
 * delivers the outbox; every instance
 * serves the API. Resolves once the ops server listens.
 */
export async function startAlerter(config: AlerterConfig, log: Logger, overrides: AlerterOverrides = {}): Promise<RunningAlerter> {
  const clock = overrides.clock ?? Date.now;
  const random = overrides.random ?? Math.random;
  const registry = createMetricsRegistry();
  const metrics = alerterMetrics(registry);
  const defaults = config.webhookUrl ? [defaultReceiver('default', config.webhookUrl, config.webhookSecrets)] : [];
  const loader = new RuleLoader(config.rulesFile, { defaultReceivers: defaults, secretLookup: (v) => process.env[v] }, log.child({ component: 'rules' }), metrics);

  const redis = withScripts(createSentinelClient(config.redis, `ringtail-alerter-${config.instanceId}`));
  // Refused credentials or TLS stop the start here, naming the setting; a Redis that is only down is retried by the loops.
  await checkRedisAccess(redis, REDIS_ACCESS_CHECK_MS);
  const keys = alerterKeys(config.namespace);
  const windowKeys = redisKeys(config.namespace, config.shardSlots);
  // XREAD BLOCK holds a connection: the change follower gets one of its own. Its command timeout is
  // generous because a busy event loop (a long evaluation) can leave a reply unread past a short one.
  const blocking = config.changeDrivenEvaluation ? createSentinelClient(config.redis, `ringtail-alerter-${config.instanceId}-changes`, CHANGE_READ_TIMEOUT_MS) : null;
  // Its failures surface as failed XREADs, which the change loop logs and retries.
  blocking?.on('error', () => undefined);
  // The dispatcher's WAIT blocks its connection until a replica answers (a second or more on a
  // loaded primary): on a connection of its own it no longer holds up evaluations.
  const delivery = withScripts(createSentinelClient(config.redis, `ringtail-alerter-${config.instanceId}-delivery`));
  // Its failures surface as failed outbox polls, which the dispatcher logs and retries.
  delivery.on('error', () => undefined);
  const lease = new LeaderLease(redis, keys, config.instanceId, config.leaseTtlMs, clock);
  const outbox = new Outbox(redis, keys, config.outboxMaxLen);
  const evaluator = new AlertEvaluator({
    source: redisWindowSource(redis, windowKeys, config.resolutions),
    store: new AlertStore(redis, keys, config.outboxMaxLen),
    rules: () => loader.current(),
    clock,
    log: log.child({ component: 'evaluator' }),
    metrics,
  });
  const dispatcher = new Dispatcher({
    outbox: new Outbox(delivery, keys, config.outboxMaxLen),
    lease,
    send: fetchWebhookSender(clock),
    receivers: () => loader.current().receivers,
    clock,
    random,
    log: log.child({ component: 'dispatcher' }),
    metrics,
    concurrency: config.dispatchConcurrency,
    pollMs: config.dispatchPollMs,
    minReplicas: config.minReplicas,
    replicaWaitMs: config.replicaWaitMs,
  });

  const loops = new AlerterLoops({
    lease,
    evaluator,
    dispatcher,
    changes: blocking
      ? { follower: new ChangeFollower(blocking, redis, windowKeys, keys.changeCursors), router: new ChangeRouter(redis, windowKeys, () => loader.current()) }
      : null,
    metrics,
    clock,
    leaseTtlMs: config.leaseTtlMs,
    evalIntervalMs: config.evalIntervalMs,
    log,
  });

  // See where the loops start: an escaped loop error exits the process.
  const loopSupervisor = new CrashSupervisor({ name: 'alerter loops', policy: 'exit', metrics: registry, metricPrefix: 'ringtail_alerter_loops', log });
  const server = await startOpsServer({
    port: config.httpPort,
    metrics: registry,
    isReady: () => loops.ready() && loopSupervisor.isRunning(),
    notReadyReason: () => (loopSupervisor.isRunning() ? 'no lease refresh has reached Redis yet' : loopSupervisor.describe()),
    auth: config.httpAuth,
    routes: apiRoutes({ redis, namespace: config.namespace, rules: () => loader.current(), evaluator, outbox, evalIntervalMs: config.evalIntervalMs, clock }),
  });
  log.info({ port: server.port, instanceId: config.instanceId, rules: loader.current().rules.length }, 'alerter listening');
  loader.watch(config.rulesPollMs);
  // Each loop catches and retries its own failures (Redis down, lease lost); one that still escapes
  // is a bug an in-process restart would repeat, so the process exits non-zero for its supervisor to
  // start afresh: alert state and the outbox live in Redis, so it neither re-fires nor forgets.
  loops.start((err) => loopSupervisor.crashed(err));
  loopSupervisor.running();
  dispatcher.start();

  return {
    port: server.port,
    instanceId: config.instanceId,
    isLeader: () => lease.value() !== null,
    rules: () => loader.current(),
    reload: () => loader.reload(),
    stop: async () => {
      loopSupervisor.stop();
      loader.stop();
      await loops.stop();
      await dispatcher.stop();
      await lease.release();
      metrics.isLeader.set(0);
      await server.close();
      blocking?.disconnect();
      delivery.disconnect();
      redis.disconnect();
    },
  };
}
