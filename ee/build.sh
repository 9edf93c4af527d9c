#!/usr/bin/env bash
# `make ee`: the AWX/AAP execution environment of this collection, built by ansible-builder from
# ee/execution-environment.yml with this checkout's collection tarball inside.
#   SFMLOPS_EE_IMAGE       the tag built (default sfmlops/ee:VERSION, VERSION galaxy.yml's)
#   SFMLOPS_EE_BASE_IMAGE  the base image (default sfmlops/ee-base:bookworm, made here by
#                          tests/lab/images.sh since no registry can be pulled from; a user with
#                          one gives quay.io/ansible/awx-ee:24.6.1, the definition's own default)
# A base image that labels its Python and package manager (io.sparkflows.ee.pycmd, .pkgmgr)
# gets them passed to ansible-builder as PYCMD and PKGMGR. The build is skipped when an image of
# the same inputs exists (the collection's files, the definition, the base image: their digest in
# the label io.sparkflows.ee.digest). Prints the tag built on its last line.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' galaxy.yml)
tag=${SFMLOPS_EE_IMAGE:-sfmlops/ee:$version}
base=${SFMLOPS_EE_BASE_IMAGE:-sfmlops/ee-base:bookworm}
work=$root/.cache/ee
log() { echo "[ee] $*" >&2; }

# One build at a time (two test workers may ask at once): the later one finds it up to date.
mkdir -p "$root/.cache"
exec 9>"$root/.cache/ee.lock"
flock 9

if [ "$base" = sfmlops/ee-base:bookworm ]; then
    tests/lab/images.sh --ee-base >&2
fi
docker image inspect "$base" >/dev/null 2>&1 || { echo "ERROR: base image $base missing: pull it first" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work/ee/collections"
cp ee/execution-environment.yml ee/requirements.yml "$work/ee/"
ansible-galaxy collection build --output-path "$work/ee/collections" . >/dev/null
tarball="$work/ee/collections/sparkflows-mlops-$version.tar.gz"

# MANIFEST.json names the checksum of FILES.json, which names every file's: the collection's
# content, not the tarball's timestamps.
digest=$( { tar -xOzf "$tarball" MANIFEST.json; cat "$work/ee/execution-environment.yml" "$work/ee/requirements.yml";
            docker image inspect -f '{{.Id}}' "$base"; } | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{index .Config.Labels "io.sparkflows.ee.digest"}}' "$tag" 2>/dev/null || true)" = "$digest" ]; then
    log "$tag up to date (inputs $digest)"
    echo "$tag"
    exit 0
fi

build_args=(--build-arg "EE_BASE_IMAGE=$base")
pycmd=$(docker image inspect -f '{{index .Config.Labels "io.sparkflows.ee.pycmd"}}' "$base")
pkgmgr=$(docker image inspect -f '{{index .Config.Labels "io.sparkflows.ee.pkgmgr"}}' "$base")
[ -z "$pycmd" ] || build_args+=(--build-arg "PYCMD=$pycmd")
[ -z "$pkgmgr" ] || build_args+=(--build-arg "PKGMGR=$pkgmgr")
log "building $tag on $base (inputs $digest)..."
if ! ansible-builder build -f "$work/ee/execution-environment.yml" --context "$work/context" \
        --container-runtime docker --tag "$tag" "${build_args[@]}" \
        --extra-build-cli-args "--label io.sparkflows.ee.digest=$digest" -v 2 >"$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" >&2
    echo "ERROR: ansible-builder build failed (whole log: $work/build.log)" >&2
    exit 1
fi
log "built $tag"
echo "$tag"
