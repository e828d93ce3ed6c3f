import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { eventually, kafkaSecurityOptions } from '@ringtail/runtime';
import { StackError } from './errors.ts';
import { JAVA, MAVEN, requireTools } from './prerequisites.ts';
import { describeMismatch, ProcessFile, type ProcessFileState, type ProcessMismatch } from './process-files.ts';
import { canConnect, spawnDetached } from './processes.ts';
import { STACK_USERS, stackClientSecurity, type StackCredentials } from './stack-credentials.ts';
import { endpointsOf, portVariablesOf, stackCredentialsOf, type StackTopology } from './topology.ts';

const POM = fileURLToPath(new URL('../kafka/pom.xml', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
/** The broker's main class: on the command line of every Kafka JVM, ours or not. */
const KAFKA_MAIN = 'kafka.Kafka';

/** A single-node Apache Kafka broker in KRaft mode (broker and controller in one JVM). */
export class KafkaBroker {
  private readonly dir: string;
  private readonly configPath: string;
  private readonly pidFile: ProcessFile;
  /** Null for the open stack. */
  private readonly credentials: StackCredentials | null;

  constructor(private readonly t: StackTopology) {
    this.credentials = t.secure ? stackCredentialsOf(t) : null;
    this.dir = join(t.stackDir, 'kafka');
    this.configPath = join(this.dir, 'server.properties');
    this.pidFile = new ProcessFile(join(this.dir, 'kafka.pid'), KAFKA_MAIN, this.configPath);
  }

  get jarDir(): string {
    return join(this.t.cacheDir, `kafka-libs-${this.t.kafkaVersion}`);
  }

  /** What the broker's pid file names right now. */
  state(): ProcessFileState {
    return this.pidFile.state();
  }

  /** Downloads the broker jars from Maven Central once; later calls return at once. */
  ensureJars(): void {
    const marker = join(this.jarDir, '.complete');
    if (existsSync(marker)) return;
    requireTools([MAVEN]);
    const r = spawnSync(
      'mvn',
      ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${this.jarDir}`,
        '-DincludeScope=runtime', `-Dkafka.version=${this.t.kafkaVersion}`],
      { stdio: ['ignore', 'inherit', 'inherit'], timeout: 20 * 60_000 },
    );
    if (r.status !== 0) {
      throw new StackError('STACK_START_FAILED', `mvn could not fetch Kafka ${this.t.kafkaVersion} jars (exit ${r.status}); see the output above`);
    }
    if (!readdirSync(this.jarDir).some((f) => f.startsWith('kafka_2.13-'))) {
      throw new StackError('STACK_START_FAILED', `mvn finished but ${this.jarDir} holds no kafka_2.13 jar`);
    }
    writeFileSync(marker, `${this.t.kafkaVersion}\n`);
  }

  /** Starts the broker unless ours already runs; resolves when it serves metadata. */
  async up(): Promise<void> {
    const state = this.pidFile.state();
    // Starting over a mismatch would overwrite the only record of the JVM it names.
    if (state.kind === 'mismatch') throw mismatchError(state, 'no broker was started');
    if (state.kind === 'stale') {
      for (const port of [this.t.kafkaPort, this.t.kafkaControllerPort]) {
        if (await canConnect('127.0.0.1', port)) {
          throw new StackError('STACK_START_FAILED', `port ${port} is taken by a process this stack did not start; stop it or set ${portVariablesOf(this.t).kafka}`);
        }
      }
      requireTools([JAVA]);
      this.ensureJars();
      mkdirSync(this.dir, { recursive: true });
      this.credentials?.ensure();
      this.writeConfig();
      this.formatStorageOnce();
      const pid = spawnDetached('java', this.javaArgs('kafka.Kafka', [this.configPath]), join(this.dir, 'kafka.log'), this.dir);
      this.pidFile.record(pid);
    }
    await eventually('the Kafka broker', READY_TIMEOUT_MS, () => this.isReady(), 250).catch((cause: unknown) => {
      throw new StackError('STACK_NOT_READY', `Kafka did not become ready on 127.0.0.1:${this.t.kafkaPort} within ${READY_TIMEOUT_MS} ms; see ${join(this.dir, 'kafka.log')}`, { cause });
    });
  }

  /**
   * Stops our broker and removes its pid file (a dead one's too). A pid file naming
   * another Kafka JVM is kept, and this throws STACK_PROCESS_MISMATCH.
   */
  async down(): Promise<void> {
    const mismatch = await this.pidFile.stop(STOP_GRACE_MS);
    if (mismatch) throw mismatchError(mismatch, 'it was not stopped');
  }

  /** True once the broker answers a metadata request (a TCP accept alone comes earlier). */
  async isReady(): Promise<boolean> {
    if (!(await canConnect('127.0.0.1', this.t.kafkaPort))) return false;
    const admin = new Kafka({
      clientId: 'ringtail-stack-probe',
      brokers: [`127.0.0.1:${this.t.kafkaPort}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 },
      ...kafkaSecurityOptions(this.credentials ? stackClientSecurity(endpointsOf(this.t).clientEnv).kafka : undefined),
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private javaArgs(mainClass: string, args: readonly string[]): string[] {
    return [
      `-Xms${Math.min(256, this.t.kafkaHeapMb)}m`,
      `-Xmx${this.t.kafkaHeapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:ActiveProcessorCount=2',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(this.dir, 'log4j.properties')}`,
      '-cp',
      `${this.jarDir}/*`,
      mainClass,
      ...args,
    ];
  }

  private formatStorageOnce(): void {
    if (existsSync(join(this.dir, 'data', 'meta.properties'))) return;
    // A Kafka cluster id is 16 random bytes in URL-safe base64 without padding.
    const clusterId = randomBytes(16).toString('base64url');
    // The secured broker's SCRAM user exists from the first start (KIP-900), so no client ever reaches it unauthenticated to create one.
    const scram = this.credentials
      ? ['SCRAM-SHA-512', 'SCRAM-SHA-256'].flatMap((m) => ['--add-scram', `${m}=[name=${STACK_USERS.kafka},password=${this.credentials!.password('kafka')}]`])
      : [];
    const r = spawnSync('java', this.javaArgs('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', this.configPath, ...scram]), {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) {
      throw new StackError('STACK_START_FAILED', `formatting Kafka storage failed: ${r.stderr || r.stdout}`);
    }
  }

  /**
   * Open: PLAINTEXT for clients. Secured: one SASL_SSL listener for clients and
   * for the broker itself (inter-broker traffic authenticates as the stack user),
   * SCRAM-SHA-512/256 and PLAIN; the controller listener stays PLAINTEXT on
   * loopback, serving only the KRaft quorum inside this one JVM.
   */
  private listenerConfig(): string[] {
    const t = this.t;
    const c = this.credentials;
    if (!c) {
      return [
        `listeners=PLAINTEXT://127.0.0.1:${t.kafkaPort},CONTROLLER://127.0.0.1:${t.kafkaControllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${t.kafkaPort}`,
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name=PLAINTEXT',
      ];
    }
    const user = STACK_USERS.kafka;
    const password = c.password('kafka');
    return [
      `listeners=SASL_SSL://127.0.0.1:${t.kafkaPort},CONTROLLER://127.0.0.1:${t.kafkaControllerPort}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${t.kafkaPort}`,
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${user}="${password}";`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${c.kafkaKeystoreFile}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${c.caFile}`,
      // Clients prove who they are with SASL; a client certificate is accepted but not required.
      'ssl.client.auth=requested',
    ];
  }

  private writeConfig(): void {
    const t = this.t;
    const props = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${t.kafkaControllerPort}`,
      ...this.listenerConfig(),
      'controller.listener.names=CONTROLLER',
      `log.dirs=${join(this.dir, 'data')}`,
      // Topics are created by Ringtail with explicit partition counts; a typo must not create one.
      'auto.create.topics.enable=false',
      'num.partitions=4',
      'default.replication.factor=1',
      'offsets.topic.replication.factor=1',
      // 50 offset partitions cost seconds on first group join on 2 cores; 8 is plenty for one node.
      'offsets.topic.num.partitions=8',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'num.network.threads=2',
      'num.io.threads=4',
      'log.retention.hours=24',
      'log.segment.bytes=67108864',
      'delete.topic.enable=true',
    ];
    // The secured broker's file holds its own SCRAM password (the JAAS line): owner only.
    writeFileSync(this.configPath, `${props.join('\n')}\n`, { mode: 0o600 });
    writeFileSync(
      join(this.dir, 'log4j.properties'),
      [
        'log4j.rootLogger=WARN, stdout',
        'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
        'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
        'log4j.logger.kafka.server.BrokerServer=INFO',
        '',
      ].join('\n'),
    );
  }
}

/** The broker's marker is its config file, the same whatever the ports: a mismatch is a JVM of another stack folder. */
function mismatchError(m: ProcessMismatch, outcome: string): StackError {
  return new StackError('STACK_PROCESS_MISMATCH', [
    describeMismatch('kafka', m),
    `Kept the pid file and that JVM; ${outcome}. If it is not this stack's broker, stop it yourself if need be and remove ${m.path}.`,
  ].join('\n'));
}
