#!/usr/bin/env bash
# Make sure a Docker Engine answers: reuse a running one, else install Debian's
# docker.io if missing and start dockerd in the background (the lab machines have
# no systemd). Fails in one clear line, within a bounded wait, when it cannot.
set -euo pipefail

wait_seconds=${SFMLOPS_DOCKERD_WAIT:-60}
dockerd_bin=${SFMLOPS_DOCKERD:-dockerd}
log=${SFMLOPS_DOCKERD_LOG:-/var/log/sfmlops-dockerd.log}

fail() {
    echo "ERROR: Docker Engine unavailable: $*" >&2
    exit 1
}

if docker info >/dev/null 2>&1; then
    exit 0
fi

if ! command -v "$dockerd_bin" >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        fail "dockerd is not installed and installing docker.io needs root"
    fi
    echo "Installing Docker Engine (Debian docker.io)..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; } \
        >/tmp/sfmlops-apt-docker.log 2>&1 \
        || fail "apt-get install docker.io failed (see /tmp/sfmlops-apt-docker.log)"
fi

echo "Starting dockerd (log: $log)..."
nohup "$dockerd_bin" >"$log" 2>&1 &
dockerd_pid=$!

for _ in $(seq 1 "$wait_seconds"); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
        fail "dockerd exited at start: $(tail -n 1 "$log" 2>/dev/null || echo 'no log')"
    fi
    sleep 1
done
fail "dockerd did not answer within ${wait_seconds}s (see $log)"
