#!/usr/bin/env bash
# A real image registry for the scorer tests and the lab: Debian's docker-registry (Distribution
# v2) on loopback with htpasswd auth, holding the test scorer image (tests/scorer_image/) under
# two Sparkflows releases.
#   registry.sh up      start it (or keep it), build and push sparkflows/scorer:RELEASE
#   registry.sh down    stop it and remove its state
# Loopback registries are trusted by the engine, so it speaks plain HTTP on 127.0.0.1.
# Overridable: SFMLOPS_REGISTRY_PORT (5050; not 5000, MLflow's), SFMLOPS_REGISTRY_STATE,
# SFMLOPS_REGISTRY_RELEASES ("3.1.0 3.2.0"; the emulator reports 3.1.0).
# The pull user is `sfmlops-pull`; its password is generated into STATE/password (0600).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
port=${SFMLOPS_REGISTRY_PORT:-5050}
state=${SFMLOPS_REGISTRY_STATE:-$root/.lab/registry}
releases=${SFMLOPS_REGISTRY_RELEASES:-3.1.0 3.2.0}
address="127.0.0.1:$port"
user=sfmlops-pull

log() { echo "[registry] $*"; }

answers() {
    # The v2 API answers 401 without credentials once it listens.
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$address/v2/" || true)" = 401 ]
}

up() {
    "$root/tests/utils/apt-install.sh" docker-registry apache2-utils curl
    mkdir -p "$state/storage"
    chmod 0700 "$state"
    if [ ! -s "$state/password" ]; then
        (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/password")
        rm -f "$state/htpasswd"
    fi
    if [ ! -s "$state/htpasswd" ]; then
        # bcrypt is the only scheme the registry accepts; the password goes through stdin.
        (umask 077 && htpasswd -iBc "$state/htpasswd" "$user" < "$state/password" 2>/dev/null)
    fi
    cat > "$state/config.yml" <<CONFIG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $state/storage}
  delete: {enabled: true}
http: {addr: "$address"}
auth:
  htpasswd: {realm: sfmlops-lab, path: $state/htpasswd}
CONFIG
    if ! answers; then
        log "starting docker-registry on $address"
        nohup docker-registry serve "$state/config.yml" >"$state/registry.log" 2>&1 &
        echo $! > "$state/pid"
        for _ in $(seq 1 30); do
            answers && break
            sleep 0.5
        done
        answers || { echo "ERROR: docker-registry did not answer on $address (see $state/registry.log)" >&2; exit 1; }
    fi
    push_scorer_images
}

push_scorer_images() {
    # A throwaway client config: the push credentials never land in ~/.docker.
    local config
    config=$(mktemp -d)
    DOCKER_CONFIG=$config docker login -u "$user" --password-stdin "$address" < "$state/password" >/dev/null 2>&1 \
        || { rm -rf "$config"; echo "ERROR: docker login $address failed" >&2; exit 1; }
    for release in $releases; do
        local image="$address/sparkflows/scorer:$release"
        docker build -q --build-arg "RELEASE=$release" --label "io.sparkflows.release=$release" \
            -t "$image" "$root/tests/scorer_image" >/dev/null 2>"$state/build.log" \
            || { rm -rf "$config"; echo "ERROR: building $image failed (see $state/build.log)" >&2; exit 1; }
        DOCKER_CONFIG=$config docker push -q "$image" >/dev/null
        log "pushed $image"
    done
    rm -rf "$config"
}

down() {
    if [ -s "$state/pid" ]; then
        kill "$(cat "$state/pid")" 2>/dev/null || true
    fi
    rm -rf "$state"
    log "removed"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
