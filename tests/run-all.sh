#!/usr/bin/env bash
# The whole test suite (`make test`): every step runs, each reports PASS or FAIL, and the
# last line counts them. Exits non-zero when any step failed. Without a Docker Engine the
# steps that need one fail at once with that reason instead of hanging.
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

skip_no_engine() {
    failed=$((failed + 1)); results+=("FAIL  $1 (no Docker Engine)")
}

engine_ok=true
step engine tests/lab/engine.sh || engine_ok=false
if $engine_ok; then
    step images tests/lab/images.sh || engine_ok=false
fi
step sanity tests/sanity.sh
step units pytest tests/unit
step lint ansible-lint
step changelog antsibull-changelog lint
if $engine_ok; then
    step molecule tests/molecule.sh
    step integration tests/integration.sh
else
    skip_no_engine molecule
    skip_no_engine integration
fi

echo
echo "=== summary ==="
printf '%s\n' "${results[@]}"
echo "make-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
