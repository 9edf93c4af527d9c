#!/usr/bin/env bash
# make mutation: mutmut over the decision logic of plugins/module_utils (docs/mutation.md).
#
# mutmut names a mutant by the path of its file, and its trampoline compares that name with the
# module the tests import (ansible_collections.sparkflows.mlops.plugins.module_utils.*). So the
# run happens in a staging copy, .cache/mutation/, where this checkout's plugins/ sits at
# ansible_collections/sparkflows/mlops/plugins/; mutmut copies it again into
# .cache/mutation/mutants/ and mutates only that copy. The checkout is never written to.
#
# Then tests/mutation/named_mutants.py applies the mutations issue #24 named, by hand, to another
# copy. The run fails when the total killed is below the minimum or a named mutation is missed.
#
# Usage: tests/mutation.sh [MUTANT-GLOB...]   (no argument: every mutant; a glob such as
#   'ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb.*' reruns a subset
#   after a full run, on the staging copy of that run)
# SFMLOPS_MUTATION_JOBS: parallel mutant runs (default: the number of cores).
# SFMLOPS_MUTATION_MIN: the total killed percentage below which the run fails (default 80).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
work=.cache/mutation
jobs=${SFMLOPS_MUTATION_JOBS:-$(nproc)}
minimum=${SFMLOPS_MUTATION_MIN:-80}

if [ $# -eq 0 ]; then
    rm -rf "$work"
    mkdir -p "$work/ansible_collections/sparkflows/mlops"
    # The working tree as it is now (uncommitted changes included), without caches.
    tar -C "$checkout" --exclude=__pycache__ -cf - plugins |
        tar -C "$work/ansible_collections/sparkflows/mlops" -xf -
    tar -C "$checkout" --exclude=__pycache__ --exclude=tests/output -cf - tests |
        tar -C "$work" -xf -
    cp tests/mutation/setup.cfg "$work/setup.cfg"
    python tests/mutation/exclude.py tests/mutation/setup.cfg \
        "$work/ansible_collections/sparkflows/mlops/plugins/module_utils"
    # Tests that run a module in a Python process of its own find the collection as `make venv`
    # links it (tests/utils/module.py: .cache/collections beside tests/): there, the mutated copy.
    mkdir -p "$work/mutants/.cache/collections/ansible_collections/sparkflows"
    cp tests/mutation/sfmlops_mutmut_plugin.py "$work/mutants/"
    # Unit tests that hold a rule's constant against a role's defaults read roles/ beside tests/.
    ln -s "$checkout/roles" "$work/mutants/roles"
    ln -s ../../../../ansible_collections/sparkflows/mlops \
        "$work/mutants/.cache/collections/ansible_collections/sparkflows/mlops"
fi

cd "$work"
# mutmut exits 0 whatever survives: the verdict is report.py's.
if [ $# -eq 0 ]; then
    mutmut run --max-children "$jobs"
else
    mutmut run --max-children "$jobs" "$@"
fi
status=0
python "$checkout/tests/mutation/report.py" --minimum "$minimum" || status=1
cd "$checkout"
# The mutations issue #24 named, some of which mutmut does not make (module-level data).
python tests/mutation/named_mutants.py || status=1
exit $status
