#!/usr/bin/env bash
# Starts Lathe's own Docker engine (the same one gpu-runner/docker/engine.ts starts) unless one
# already answers at its socket, then waits until it answers. Needs root and dockerd (docker.io).
# Afterwards: export DOCKER_HOST=unix:///run/lathe-docker.sock
set -euo pipefail

socket=/run/lathe-docker.sock
data_root=/var/lib/lathe-docker
pidfile=/run/lathe-docker.pid
log=/var/log/lathe-dockerd.log
timeout_s=${LATHE_DOCKER_START_TIMEOUT:-60}

answers() {
  [ -S "$socket" ] && DOCKER_HOST="unix://$socket" timeout 5 docker version >/dev/null 2>&1
}

if answers; then
  echo "Docker engine already answers at $socket"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "start-engine: starting dockerd needs root" >&2
  exit 1
fi
if [ ! -x /usr/sbin/dockerd ]; then
  echo "start-engine: /usr/sbin/dockerd is missing (apt-get install docker.io)" >&2
  exit 1
fi

if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  rm -f "$pidfile"
fi
if [ ! -f "$pidfile" ]; then
  mkdir -p "$data_root"
  setsid /usr/sbin/dockerd --host "unix://$socket" --data-root "$data_root" --pidfile "$pidfile" \
    </dev/null >>"$log" 2>&1 &
fi

for _ in $(seq 1 $((timeout_s * 4))); do
  if answers; then
    echo "Docker engine answers at $socket"
    exit 0
  fi
  sleep 0.25
done
echo "start-engine: dockerd did not answer within ${timeout_s}s; end of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
