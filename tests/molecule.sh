#!/usr/bin/env bash
# tests/molecule.sh [ROLE...]: every role's Molecule scenario (roles/ROLE/molecule/default/; by
# default every role that has one), one after the other, each `molecule test` run from its role's
# directory with the shared base .config/molecule/config.yml. All run; the last line names the
# failed ones, and the exit status is non-zero when any failed (or when there is none to run).
# `make molecule` and the molecule step of tests/run-all.sh.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
roles=("$@")
if [ ${#roles[@]} -eq 0 ]; then
    for scenario in "$root"/roles/*/molecule/default/molecule.yml; do
        [ -f "$scenario" ] && roles+=("$(basename "$(dirname "$(dirname "$(dirname "$scenario")")")")")
    done
fi
if [ ${#roles[@]} -eq 0 ]; then
    echo "molecule: no scenario under roles/*/molecule/default/" >&2
    exit 1
fi

failed=()
results=()
for role in "${roles[@]}"; do
    echo
    echo "=== molecule: $role ==="
    start=$(date +%s)
    if (cd "$root/roles/$role" && molecule --base-config "$root/.config/molecule/config.yml" test); then
        results+=("PASS  $role ($(($(date +%s) - start))s)")
    else
        failed+=("$role")
        results+=("FAIL  $role ($(($(date +%s) - start))s)")
    fi
done

echo
printf 'molecule: %s\n' "${results[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "molecule: ${#failed[@]} of ${#roles[@]} scenarios failed: ${failed[*]}"
    exit 1
fi
echo "molecule: all ${#roles[@]} scenarios passed"
