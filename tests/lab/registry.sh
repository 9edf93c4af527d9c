#!/usr/bin/env bash
# A real image registry for the scorer tests and the lab: Debian's docker-registry (Distribution
# v2, image sfmlops/registry built by images.sh) in a container, with TLS from a private CA and
# htpasswd auth, holding the test scorer image (tests/scorer_image/) under two Sparkflows releases.
#   registry.sh up                 start it (or keep it), build and push sparkflows/scorer:RELEASE
#   registry.sh connect NETWORK    also reach it as registry:5000 on a Docker network (the lab)
#   registry.sh down               remove it and its state
# This machine's engine reaches it on 127.0.0.1 (loopback registries are trusted by the engine);
# lab hosts reach it as registry:5000 and trust STATE/ca.crt (the scorer role installs it).
# Overridable: SFMLOPS_REGISTRY_PORT (5050; not 5000, MLflow's), SFMLOPS_REGISTRY_STATE,
# SFMLOPS_REGISTRY_NAME (container), SFMLOPS_REGISTRY_RELEASES ("3.1.0 3.2.0"; the emulator
# reports 3.1.0), SFMLOPS_REGISTRY_CA (a directory with ca.crt and ca.key: the CA to sign the
# registry's certificate with; default a CA of its own). The pull user is `sfmlops-pull`; its
# password is generated into STATE/password.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
port=${SFMLOPS_REGISTRY_PORT:-5050}
state=${SFMLOPS_REGISTRY_STATE:-$root/.cache/registry}
container=${SFMLOPS_REGISTRY_NAME:-sfmlops-registry}
releases=${SFMLOPS_REGISTRY_RELEASES:-3.1.0 3.2.0}
image=sfmlops/registry:bookworm
address="127.0.0.1:$port"
user=sfmlops-pull

log() { echo "[registry] $*"; }

answers() {
    # The v2 API answers 401 without credentials once it listens.
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$state/ca.crt" \
        "https://$address/v2/" || true)" = 401 ]
}

make_tls() {
    # A private CA and the registry's certificate (names: registry, localhost, 127.0.0.1).
    [ -s "$state/ca.crt" ] && [ -s "$state/registry.crt" ] && return
    (umask 077
     if [ -n "${SFMLOPS_REGISTRY_CA:-}" ]; then
         cp "$SFMLOPS_REGISTRY_CA/ca.crt" "$SFMLOPS_REGISTRY_CA/ca.key" "$state/"
     else
         openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
             -subj "/CN=sparkflows.mlops lab registry CA" -keyout "$state/ca.key" -out "$state/ca.crt" 2>/dev/null
     fi
     openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=registry" \
         -keyout "$state/registry.key" -out "$state/registry.csr" 2>/dev/null
     printf 'subjectAltName=DNS:registry,DNS:localhost,IP:127.0.0.1\n' > "$state/san.ext"
     openssl x509 -req -in "$state/registry.csr" -CA "$state/ca.crt" -CAkey "$state/ca.key" \
         -CAcreateserial -days 365 -extfile "$state/san.ext" -out "$state/registry.crt" 2>/dev/null)
    chmod 0644 "$state/ca.crt" "$state/registry.crt"
    # The registry runs as root in its container and reads the key from the mount.
    rm -f "$state/registry.csr" "$state/san.ext"
}

up() {
    "$root/tests/utils/apt-install.sh" apache2-utils curl openssl
    docker image inspect "$image" >/dev/null 2>&1 \
        || { echo "ERROR: $image missing: run tests/lab/images.sh" >&2; exit 1; }
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
    make_tls
    cat > "$state/config.yml" <<CONFIG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: /var/lib/registry}
  delete: {enabled: true}
http:
  addr: ":5000"
  tls: {certificate: /etc/docker/registry/registry.crt, key: /etc/docker/registry/registry.key}
auth:
  htpasswd: {realm: sfmlops-lab, path: /etc/docker/registry/htpasswd}
CONFIG
    # Kept only when it runs with this state's CA on this address: a registry of the same name
    # from another checkout, from a state directory made anew or on another port is replaced.
    local running ca
    ca=$(sha256sum "$state/ca.crt" | cut -c1-16)
    running=$(docker inspect -f '{{.State.Running}} {{index .Config.Labels "sfmlops.registry.ca"}} {{index .Config.Labels "sfmlops.registry.address"}}' \
        "$container" 2>/dev/null || true)
    if [ "$running" != "true $ca $address" ]; then
        docker rm -f "$container" >/dev/null 2>&1 || true
        log "starting $container on $address"
        docker run -d --name "$container" --restart unless-stopped --label "sfmlops.registry.ca=$ca" \
            --label "sfmlops.registry.address=$address" \
            -p "$address:5000" -v "$state:/etc/docker/registry:ro" -v "$state/storage:/var/lib/registry" \
            "$image" >/dev/null
    fi
    for _ in $(seq 1 40); do
        answers && break
        sleep 0.5
    done
    answers || { echo "ERROR: the registry did not answer on $address: $(docker logs --tail 3 "$container" 2>&1)" >&2; exit 1; }
    push_scorer_images
}

push_scorer_images() {
    # A throwaway client config: the push credentials never land in ~/.docker.
    local config
    config=$(mktemp -d)
    DOCKER_CONFIG=$config docker login -u "$user" --password-stdin "$address" < "$state/password" >/dev/null 2>&1 \
        || { rm -rf "$config"; echo "ERROR: docker login $address failed" >&2; exit 1; }
    for release in $releases; do
        local tag="$address/sparkflows/scorer:$release"
        docker build -q --build-arg "RELEASE=$release" --label "io.sparkflows.release=$release" \
            -t "$tag" "$root/tests/scorer_image" >/dev/null 2>"$state/build.log" \
            || { rm -rf "$config"; echo "ERROR: building $tag failed (see $state/build.log)" >&2; exit 1; }
        DOCKER_CONFIG=$config docker push -q "$tag" >/dev/null
        log "pushed $tag"
    done
    rm -rf "$config"
}

connect() {
    local network=$1
    docker network connect --alias registry "$network" "$container" 2>/dev/null \
        || docker inspect -f "{{ index .NetworkSettings.Networks \"$network\" }}" "$container" | grep -qv '<no value>' \
        || { echo "ERROR: cannot connect $container to network $network" >&2; exit 1; }
    log "$container is registry:5000 on network $network"
}

down() {
    docker rm -f -v "$container" >/dev/null 2>&1 || true
    rm -rf "$state"
    log "removed"
}

case "${1:-}" in
    up) up ;;
    connect) connect "${2:?network}" ;;
    down) down ;;
    *) echo "usage: $0 up|connect NETWORK|down" >&2; exit 2 ;;
esac
