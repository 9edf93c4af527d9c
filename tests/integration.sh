#!/usr/bin/env bash
# The integration tests (`make integration`, a step of `make test`): every file on one of
# SFMLOPS_TEST_WORKERS pytest-xdist workers (default 2; a file's tests stay together, they share
# its labs; the longest files go first, tests/integration/conftest.py), then, alone, the tests
# that restart this machine's Docker Engine. Exits non-zero when either part failed; extra
# arguments go to both pytest runs (with them, the second run may select no test; without them,
# selecting none fails). SFMLOPS_BEFORE_ENGINE_RESTART names a file to wait for (at most an hour)
# before the engine restarts: make test's Molecule scenarios, run beside, write it when they end
# (a restarted engine would stop their instances).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
workers=${SFMLOPS_TEST_WORKERS:-2}
rc=0
pytest tests/integration -n "$workers" --dist loadfile --no-loadscope-reorder -m "not engine_restart" "$@" || rc=1
if [ -n "${SFMLOPS_BEFORE_ENGINE_RESTART:-}" ]; then
    for _ in $(seq 1 3600); do
        [ -e "$SFMLOPS_BEFORE_ENGINE_RESTART" ] && break
        sleep 1
    done
    [ -e "$SFMLOPS_BEFORE_ENGINE_RESTART" ] || { echo "integration: $SFMLOPS_BEFORE_ENGINE_RESTART did not appear within an hour" >&2; rc=1; }
fi
pytest tests/integration -m engine_restart "$@"
status=$?
# 5: no test selected. Accepted only when the caller selected tests of their own (a -k, a file):
# a plain run must run the engine restart tests, so a deselected or missing one fails it.
if [ $status -eq 5 ] && [ $# -gt 0 ]; then
    status=0
fi
[ $status -eq 0 ] || rc=1
exit $rc
