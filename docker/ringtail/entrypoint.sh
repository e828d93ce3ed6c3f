#!/bin/sh
# Runs one Ringtail service by name, or any command (e.g. `ringtail query ...`).
# Unless KAFKA_BROKERS / REDIS_SENTINELS are given, they follow the stack's port
# variables, so containers on the host network find the stack the CLI finds.
set -eu
kafka_port="${RINGTAIL_KAFKA_PORT:-19092}"
sentinel_port="${RINGTAIL_SENTINEL_PORT:-26390}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:$kafka_port}"
export REDIS_SENTINELS="${REDIS_SENTINELS:-127.0.0.1:$sentinel_port,127.0.0.1:$((sentinel_port + 1)),127.0.0.1:$((sentinel_port + 2))}"
export RINGTAIL_STACK_MODE="${RINGTAIL_STACK_MODE:-external}"

name="${1:-}"
if [ -n "$name" ] && [ -f "/app/services/$name/src/main.ts" ]; then
  shift
  # The flags of SERVICE_NODE_FLAGS (libs/stack/src/service-process.ts), which says why.
  exec node --max-semi-space-size=64 --import tsx "/app/services/$name/src/main.ts" "$@"
fi
if [ "$name" = ringtail ]; then
  shift
  exec node /app/libs/cli/bin/ringtail.mjs "$@"
fi
exec "$@"
