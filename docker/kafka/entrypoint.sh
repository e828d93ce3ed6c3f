#!/bin/bash
# Writes the broker's config from RINGTAIL_KAFKA_PORT (the controller listens one port
# above, as in the local stack), formats the storage once, then runs the broker as PID 1.
set -euo pipefail
port="${RINGTAIL_KAFKA_PORT:-19092}"
controller=$((port + 1))
heap="${RINGTAIL_KAFKA_HEAP_MB:-512}"
dir=/var/lib/kafka
mkdir -p "$dir/data"

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${dir}/data
auto.create.topics.enable=false
num.partitions=4
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=67108864
delete.topic.enable=true
PROPS

# WARN to stdout for `docker logs`; the start-up line also goes to a file the health check reads.
cat >"$dir/log4j.properties" <<'LOG'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=/var/lib/kafka/server.log
log4j.appender.file.Append=false
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO, file
LOG
rm -f "$dir/server.log"

java_opts=(-Xms"$((heap < 256 ? heap : 256))"m -Xmx"${heap}"m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:ActiveProcessorCount=2 -Djava.awt.headless=true -Dlog4j.configuration=file:"$dir/log4j.properties"
  -cp '/opt/kafka/libs/*')
if [[ ! -f "$dir/data/meta.properties" ]]; then
  # A cluster id is 16 random bytes, URL-safe base64 without padding.
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" >/dev/null
fi
exec java "${java_opts[@]}" kafka.Kafka "$dir/server.properties"
