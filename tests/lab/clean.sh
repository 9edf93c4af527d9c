#!/usr/bin/env bash
# The fresh-machine mode (`make clean-all`): remove what the README's two commands leave on a
# machine, so that the next `make lab` / `make test` runs as a new user's first run does:
#   - every container and network of the project (lab hosts, Molecule instances, test hosts,
#     registries, the Sparkflows emulator: names sfmlops-*, label sfmlops.lab, or made from a
#     project image) and their anonymous volumes;
#   - the project's images (sfmlops/*, the stand-in scorer images) and the build cache;
#   - the image cache ($SFMLOPS_CACHE: debootstrap root filesystems), .venv, .cache, .lab,
#     and ansible-test's and Molecule's caches of this checkout.
# The Docker Engine, Debian packages installed on the machine and pip's own download cache
# stay: a new machine gets them from engine.sh, apt-install.sh and PyPI, as this one did.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${SFMLOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkflows-mlops}
log() { echo "[clean-all] $*"; }

if docker info >/dev/null 2>&1; then
    # By name, or by id for an image a re-push untagged (listed as REPOSITORY:<none>, a name rmi
    # cannot take).
    images=$(docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' \
        | grep -E '^(sfmlops/|([^/]+/)?sparkflows/scorer:)' \
        | awk '{ if ($1 ~ /:<none>$/) print $2; else print $1 }' | sort -u || true)
    containers=$( { docker ps -aq --filter 'name=^sfmlops-';
                    docker ps -aq --filter 'label=sfmlops.lab';
                    docker ps -aq --filter 'label=sfmlops.registry.ca';
                    for image in $images; do docker ps -aq --filter "ancestor=$image"; done; } | sort -u)
    if [ -n "$containers" ]; then
        log "removing $(wc -w <<<"$containers") containers"
        # shellcheck disable=SC2086  # one ID a word
        docker rm -f -v $containers >/dev/null
    fi
    networks=$( { docker network ls -q --filter 'name=^sfmlops-'; docker network ls -q --filter 'label=sfmlops.lab'; } | sort -u)
    # shellcheck disable=SC2086
    [ -z "$networks" ] || docker network rm $networks >/dev/null
    if [ -n "$images" ]; then
        log "removing $(wc -w <<<"$images") images"
        # shellcheck disable=SC2086
        docker rmi -f $images >/dev/null
    fi
    docker image prune -f >/dev/null
    docker builder prune -af >/dev/null
else
    log "no Docker Engine answers: no containers or images to remove"
fi

# Molecule's state of each role's scenario: ~/.ansible/tmp/molecule.CHECKSUM.default, CHECKSUM
# the first 4 characters of the urlsafe base64 SHA-256 of the role's name (Molecule runs from
# roles/<role>/: the role is its project).
molecule_states=()
for scenario in "$root"/roles/*/molecule/default; do
    [ -d "$scenario" ] || continue
    sum=$(python3 -c 'import base64, hashlib, sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode()[:4])' \
        "$(basename "$(dirname "$(dirname "$scenario")")")")
    molecule_states+=("$HOME/.ansible/tmp/molecule.$sum.default")
done

log "removing $cache, .venv, .cache, .lab and the test caches"
rm -rf "$cache" "$root/.venv" "$root/.cache" "$root/.lab" "$root/tests/output" "$root/.pytest_cache" \
    "$HOME/.ansible/test" "${molecule_states[@]}"
log "done: the next make lab / make test starts as on a new machine"
