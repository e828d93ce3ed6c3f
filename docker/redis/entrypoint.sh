#!/bin/bash
# One container per node, with the local stack's ports: `primary` on RINGTAIL_REDIS_PORT,
# `replica` one above it, `sentinel N` (1..3) on RINGTAIL_SENTINEL_PORT + N - 1.
# Config files are written once and then left to Redis: Sentinel rewrites them on
# failover, so a restarted container keeps the role the Sentinels last gave it.
set -euo pipefail
role="${1:-primary}"
redis_port="${RINGTAIL_REDIS_PORT:-16390}"
sentinel_port="${RINGTAIL_SENTINEL_PORT:-26390}"
master="${RINGTAIL_SENTINEL_MASTER:-ringtail}"
mkdir -p /data
cd /data

case "$role" in
  primary | replica)
    port=$redis_port
    [[ "$role" == replica ]] && port=$((redis_port + 1))
    conf=/data/redis.conf
    if [[ ! -f "$conf" ]]; then
      printf '%s\n' "bind 127.0.0.1" "port $port" "dir /data" "protected-mode no" 'save ""' \
        "appendonly yes" "appendfsync everysec" "maxmemory-policy noeviction" \
        "repl-diskless-sync-delay 0" >"$conf"
      [[ "$role" == replica ]] && echo "replicaof 127.0.0.1 $redis_port" >>"$conf"
    fi
    echo "$port" >/run/ringtail-port
    exec redis-server "$conf"
    ;;
  sentinel)
    n="${2:?usage: sentinel N}"
    port=$((sentinel_port + n - 1))
    conf=/data/sentinel.conf
    if [[ ! -f "$conf" ]]; then
      # Same timings as the local stack (libs/stack/src/redis-sentinel-set.ts explains them).
      printf '%s\n' "bind 127.0.0.1" "port $port" "dir /data" "protected-mode no" \
        "sentinel monitor $master 127.0.0.1 $redis_port 2" \
        "sentinel down-after-milliseconds $master 5000" \
        "sentinel failover-timeout $master 10000" \
        "sentinel parallel-syncs $master 1" >"$conf"
    fi
    echo "$port" >/run/ringtail-port
    exec redis-server "$conf" --sentinel
    ;;
  *)
    echo "ringtail-redis: unknown role '$role' (primary, replica or sentinel N)" >&2
    exit 64
    ;;
esac
