#!/usr/bin/env bash
# The whole test suite (`make test`): every step runs, each reports PASS or FAIL, and the
# last line counts them (the line before it says when trixie was not tested: the Debian archive
# did not serve it). Exits non-zero when any step failed. Without a Docker Engine the
# steps that need one fail at once with that reason instead of hanging. The lab images are
# built beside the unit tests, the lint and the changelog check, which need none of them (on a
# new machine debootstrap and apt wait on the network and the disk more than they compute); the
# Molecule scenarios start once the images are there (and fail at once when their build failed)
# and run beside the other steps (they wait on their instances' boots and package installs more
# than they compute), and so does ansible-test sanity beside the unit tests, the lint and the
# changelog check (sanity and each of those keep one core busy; sanity ends before the
# integration tests start, and the unit tests wait on what they test, not on the clock). The
# integration tests start once the images are there. The output of a step run beside follows
# when it ends, from .cache/make-test/<step>.log.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

passed=0
failed=0
results=()

step() {
    local name=$1 start rc
    shift
    echo
    echo "=== $name: $* ==="
    start=$(date +%s)
    "$@"
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); results+=("PASS  $name ($(($(date +%s) - start))s)")
    else
        failed=$((failed + 1)); results+=("FAIL  $name ($(($(date +%s) - start))s, exit $rc)")
    fi
    return $rc
}

# A step in the background: its output to LOG, its exit status and seconds to LOG.rc.
declare -A background_pids=()
background() {
    local name=$1 log=$2
    shift 2
    mkdir -p "$(dirname "$log")"
    rm -f "$log.rc"
    echo
    echo "=== $name (in the background, output below when it ends): $* ==="
    # LOG.rc appears whole (written aside, then renamed): a step waiting for it reads it complete.
    ( start=$(date +%s); "$@" >"$log" 2>&1; echo "$? $(($(date +%s) - start))" >"$log.rc.part"
      mv "$log.rc.part" "$log.rc" ) &
    background_pids[$name]=$!
}

# In a step run beside (Molecule): waits for the images step's LOG.rc (at most an hour), then runs
# the command when the images were built; fails at once, saying why, when they were not.
after_images() {
    local rc _seconds
    for _ in $(seq 1 3600); do
        [ -e "$images_log.rc" ] && break
        sleep 1
    done
    if [ ! -e "$images_log.rc" ]; then
        echo "make-test: the lab images were not built within an hour: $* not run"
        return 1
    fi
    read -r rc _seconds <"$images_log.rc"
    if [ "$rc" -ne 0 ]; then
        echo "make-test: the lab images were not built (the images step failed): $* not run"
        return 1
    fi
    "$@"
}

finish_background() {
    local name=$1 log=$2 rc seconds
    wait "${background_pids[$name]}"
    echo
    echo "=== $name: output ==="
    cat "$log"
    read -r rc seconds <"$log.rc"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); results+=("PASS  $name (${seconds}s, beside the others)")
    else
        failed=$((failed + 1)); results+=("FAIL  $name (${seconds}s, beside the others, exit $rc)")
    fi
    return "$rc"
}

skip_no_engine() {
    failed=$((failed + 1)); results+=("FAIL  $1 (no Docker Engine)")
}

engine_ok=true
step engine tests/lab/engine.sh || engine_ok=false
images_log=$root/.cache/make-test/images.log
molecule_log=$root/.cache/make-test/molecule.log
if $engine_ok; then
    background images "$images_log" tests/lab/images.sh
    background molecule "$molecule_log" after_images tests/molecule.sh
fi
sanity_log=$root/.cache/make-test/sanity.log
background sanity "$sanity_log" tests/sanity.sh
step units pytest tests/unit
step lint ansible-lint
step changelog antsibull-changelog lint
finish_background sanity "$sanity_log"
images_ok=false
if $engine_ok; then
    finish_background images "$images_log" && images_ok=true
    if $images_ok; then
        # Its engine restart test waits for Molecule to end (molecule.log.rc is written then).
        SFMLOPS_BEFORE_ENGINE_RESTART="$molecule_log.rc" step integration tests/integration.sh
    else
        failed=$((failed + 1)); results+=("FAIL  integration (the lab images were not built)")
    fi
    finish_background molecule "$molecule_log"
else
    skip_no_engine molecule
    skip_no_engine integration
fi

echo
echo "=== summary ==="
printf '%s\n' "${results[@]}"
# A Debian suite the archive did not serve (tests/lab/images.sh recorded it; its tests skipped):
# said on the line before the count, which stays the last line, alone.
cache=${SFMLOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sparkflows-mlops}
if $images_ok && [ -s "$cache/not-served-trixie" ]; then
    echo "make-test: not tested on trixie: $(head -n 1 "$cache/not-served-trixie")"
fi
echo "make-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
