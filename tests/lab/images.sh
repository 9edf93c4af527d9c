#!/usr/bin/env bash
# Build the lab images, idempotently and with a cache:
#   sfmlops/debian:SUITE    debootstrap minbase + python3, imported (no registry is reachable)
#   sfmlops/lab-host:SUITE  systemd + sshd + python3 host for Molecule and the lab
#   sfmlops/lab-scorer:SUITE  a lab host with a Docker Engine, for the scorer hosts
#   sfmlops/registry:bookworm  Debian's docker-registry (tests/lab/registry.sh)
#   sfmlops/ee-base:bookworm   the execution environment's base here (ee/build.sh, `make ee`)
# Usage: images.sh [SUITE...]   (default: bookworm, plus trixie when the archive serves it;
#                               when it does not, $SFMLOPS_CACHE/not-served-trixie says so)
#        images.sh --ee-base    sfmlops/debian:bookworm and sfmlops/ee-base:bookworm only
# The base rootfs tarball is cached under $SFMLOPS_CACHE and made anew when its inputs change or
# it is older than SFMLOPS_BASE_MAX_AGE_DAYS (7); every other image is rebuilt only when its
# build context or the image below it changes (content hash kept in an image label).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SFMLOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkflows-mlops}
mirror=${SFMLOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$cache"
"$here/../utils/apt-install.sh" debootstrap curl

log() { echo "[images] $*"; }

suite_available() {
    # The archive serves a suite when its Release file answers.
    curl -fsSI --max-time 20 "$mirror/dists/$1/Release" >/dev/null 2>&1
}

build_base() {
    # sfmlops/debian:SUITE is rebuilt from a new debootstrap when its inputs (suite, variant,
    # packages, mirror) changed or when it is older than SFMLOPS_BASE_MAX_AGE_DAYS (7): the
    # archive moves on (security updates), and every image above it is rebuilt in turn.
    local suite=$1 inputs hash current built now max_age
    # The debootstrap options, and so the inputs hashed: "suite=SUITE variant=minbase
    # include=python3 mirror=URL" (each option without its leading --), the command line below
    # and the hash made from the same words.
    local options=(--variant=minbase --include=python3)
    inputs="suite=$suite ${options[*]#--} mirror=$mirror"
    hash=$(printf '%s' "$inputs" | sha256sum | cut -c1-16)
    max_age=$(( ${SFMLOPS_BASE_MAX_AGE_DAYS:-7} * 86400 ))
    now=$(date +%s)
    local tarball="$cache/debian-$suite-minbase-$hash.tar"
    read -r current built < <(docker image inspect -f \
        '{{ index .Config.Labels "sfmlops.base.inputs" }} {{ index .Config.Labels "sfmlops.base.built" }}' \
        "sfmlops/debian:$suite" 2>/dev/null || echo "none 0")
    if [ "$current" = "$hash" ] && [ $(( now - ${built:-0} )) -lt "$max_age" ]; then
        log "sfmlops/debian:$suite present"
        return
    fi
    if [ -s "$tarball" ] && [ $(( now - $(stat -c %Y "$tarball") )) -ge "$max_age" ]; then
        log "$tarball is older than ${SFMLOPS_BASE_MAX_AGE_DAYS:-7} days: bootstrapping $suite again"
        rm -f "$tarball"
    fi
    rm -f "$cache/debian-$suite-minbase.tar"  # the cache name before its inputs were part of it
    if [ ! -s "$tarball" ]; then
        local rootfs
        rootfs=$(mktemp -d "$cache/rootfs-$suite.XXXXXX")
        log "debootstrap $suite (${options[*]})..."
        if ! debootstrap "${options[@]}" "$suite" "$rootfs" "$mirror" \
            >"$cache/debootstrap-$suite.log" 2>&1; then
            rm -rf "$rootfs"
            echo "ERROR: debootstrap $suite failed (see $cache/debootstrap-$suite.log)" >&2
            return 1
        fi
        tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    log "importing sfmlops/debian:$suite"
    docker import --change "LABEL sfmlops.base.inputs=$hash" \
        --change "LABEL sfmlops.base.built=$(stat -c %Y "$tarball")" "$tarball" "sfmlops/debian:$suite" >/dev/null
}

forget_suite() {
    # A suite the archive does not serve now: lab images of it from an earlier run would be
    # tested unrefreshed. Removed (untagged where a container still runs one), the tests of the
    # suite skip with the reason recorded below instead.
    local suite=$1 image stale=()
    for image in "sfmlops/lab-scorer:$suite" "sfmlops/lab-host:$suite"; do
        if docker image inspect "$image" >/dev/null 2>&1; then
            stale+=("$image")
        fi
    done
    if [ ${#stale[@]} -gt 0 ]; then
        log "removing ${stale[*]}: not refreshed, so its tests skip"
        if ! docker rmi -f "${stale[@]}" >/dev/null; then
            echo "ERROR: cannot remove the stale ${stale[*]}: tests would use them unrefreshed" >&2
            exit 1
        fi
    fi
}

extra_cas() {
    # Extra trusted CAs (corporate proxies, TLS-inspecting egress): the host's local CAs.
    local dest=$1 dir=${SFMLOPS_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
    mkdir -p "$dest"
    if [ -d "$dir" ]; then
        find "$dir" -name '*.crt' -exec cp {} "$dest/" \;
    fi
}

build_image() {
    # build_image NAME CONTEXT_DIR SUITE BASE: sfmlops/NAME:SUITE from CONTEXT_DIR/Dockerfile,
    # rebuilt only when the context, the extra CAs or the BASE image changed (hash in a label).
    local name=$1 dir=$2 suite=$3 base=$4 ctx hash current tag="sfmlops/$1:$3"
    ctx=$(mktemp -d)
    cp -r "$dir"/. "$ctx/"
    extra_cas "$ctx/extra-ca"
    hash=$( { (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum);
              docker image inspect -f '{{.Id}}' "$base"; } \
            | sha256sum | cut -c1-16)
    current=$(docker image inspect -f '{{ index .Config.Labels "sfmlops.lab.context" }}' "$tag" 2>/dev/null || true)
    if [ "$current" = "$hash" ]; then
        log "$tag up to date"
    else
        log "building $tag..."
        if ! docker build --build-arg "SUITE=$suite" --label "sfmlops.lab.context=$hash" \
            -t "$tag" "$ctx" >"$cache/build-$name-$suite.log" 2>&1; then
            rm -rf "$ctx"
            echo "ERROR: building $tag failed (see $cache/build-$name-$suite.log)" >&2
            return 1
        fi
    fi
    rm -rf "$ctx"
}

# Without suites, the archive's answer for trixie is recorded: $cache/not-served-trixie (its
# reason) when it does not serve it, removed when it does. The tests fail on a missing trixie
# image unless that file says why it is missing (tests/utils/lab.py require_image), and
# tests/run-all.sh's summary says trixie was not tested.
if [ "${1:-}" = --ee-base ]; then
    build_base bookworm
    build_image ee-base "$here/ee-base" bookworm sfmlops/debian:bookworm
    exit 0
fi

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
    suites=(bookworm)
    if suite_available trixie; then
        suites+=(trixie)
        rm -f "$cache/not-served-trixie"
    else
        log "trixie not served by $mirror: skipping it"
        forget_suite trixie
        echo "trixie not served by the archive $mirror (asked $(date -u +%Y-%m-%dT%H:%MZ)): bookworm only" \
            >"$cache/not-served-trixie"
    fi
fi

for suite in "${suites[@]}"; do
    build_base "$suite"
    build_image lab-host "$here/host" "$suite" "sfmlops/debian:$suite"
    build_image lab-scorer "$here/scorer-host" "$suite" "sfmlops/lab-host:$suite"
done
# The registry of the scorer images (tests/lab/registry.sh), one suite is enough.
build_image registry "$here/registry" "${suites[0]}" "sfmlops/debian:${suites[0]}"
