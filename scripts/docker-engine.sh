#!/usr/bin/env bash
# Starts or stops a private Docker engine (Debian's docker.io, run as root) for CI on a
# machine without one: storage on vfs, no iptables, no bridge (containers use the host
# network), socket, data and pid file under RINGTAIL_CACHE_DIR, so it never meets a
# system engine or another checkout's. `start` waits until it answers and prints the
# socket's DOCKER_HOST; `stop` stops only the engine whose pid file it wrote.
set -euo pipefail

dir="${RINGTAIL_CACHE_DIR:-$HOME/.cache/ringtail}/docker-engine"
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"
export DOCKER_HOST="unix://$sock"

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  start)
    mkdir -p "$dir/data" "$dir/exec"
    if ! running; then
      setsid dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
        -H "$DOCKER_HOST" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
        >"$dir/dockerd.log" 2>&1 </dev/null &
    fi
    for _ in $(seq 1 60); do
      if docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; then
        echo "$DOCKER_HOST"
        exit 0
      fi
      sleep 0.5
    done
    echo "docker-engine: dockerd did not answer within 30 s; see $dir/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
      echo "docker-engine: dockerd $pid still running after 30 s" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 64
    ;;
esac
