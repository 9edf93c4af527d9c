#!/usr/bin/env bash
# The integration tests (`make integration`, a step of `make test`): every file on one of
# SFMLOPS_TEST_WORKERS pytest-xdist workers (default 2; a file's tests stay together, they share
# its labs), then, alone, the tests that restart this machine's Docker Engine. Exits non-zero
# when either part failed; extra arguments go to both pytest runs.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
workers=${SFMLOPS_TEST_WORKERS:-2}
rc=0
pytest tests/integration -n "$workers" --dist loadfile -m "not engine_restart" "$@" || rc=1
pytest tests/integration -m engine_restart "$@"
status=$?
[ $status -eq 0 ] || [ $status -eq 5 ] || rc=1  # 5: none selected (by the caller's -k, say)
exit $rc
