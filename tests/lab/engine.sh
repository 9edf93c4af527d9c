#!/usr/bin/env bash
# Make sure a Docker Engine answers: reuse a running one, else install Debian's docker.io
# if missing and start dockerd in the background (the lab machines have no systemd).
# Fails in one clear line, within a bounded wait, when it cannot; a dockerd it started
# and that never answered is stopped again.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
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
    "$here/../utils/apt-install.sh" docker.io >&2 || fail "could not install Debian docker.io"
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
kill "$dockerd_pid" 2>/dev/null || true
fail "dockerd did not answer within ${wait_seconds}s (see $log)"
