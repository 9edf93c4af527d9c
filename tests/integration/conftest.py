"""The integration tests' order on the pytest-xdist workers (tests/integration.sh: --dist
loadfile --no-loadscope-reorder): the longest files first, each to a worker of its own, the
shorter ones after, filling in - the workers end together instead of one running a long file
alone at the end (measured on 2 cores: 1190 s with xdist's default order by test count)."""

import pathlib
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# Longest first (seconds each on a quiet 2-core machine, whole file): the rest follow in
# collection order. A file renamed or removed fails the collection here, not the schedule.
LONGEST_FIRST = (
    # ~790 with the endpoint file on the other worker: the lab on bookworm, a --check on fresh
    # hosts, then site.yml twice with MLflow installed on mlflow1, then models served on it.
    "lab/test_lab.py",
    # ~680 alone: the EE built (`make ee`, ~300 on a new machine), its own lab (trixie) previewed
    # and converged by the site job, then every job template as AWX runs it
    "awx/test_job_templates.py",
    "roles/scorer_lb/test_endpoint.py",  # ~650 beside the lab's: its own lab, rollouts under load
    "roles/mlflow_host/test_upgrade.py",  # ~350: MLflow 2.22 then 3.17 installed on PostgreSQL, an upgrade undone
    "roles/sparkflows_mlflow/test_remote_mode.py",  # ~345 (the rest: beside each other)
    "roles/scorer/test_scorer_role.py",  # ~215
    "roles/mlflow_host/test_firewall.py",  # ~180
    "roles/test_fresh_host_packages.py",  # ~105
)
missing = [name for name in LONGEST_FIRST if not (HERE / name).is_file()]
assert not missing, "tests/integration/conftest.py LONGEST_FIRST names no file: %s" % missing


def rank(item):
    path = pathlib.Path(str(item.fspath)).resolve().relative_to(HERE).as_posix()
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items):
    # Stable: a file's tests keep their order (they share its module-scoped labs).
    items.sort(key=rank)


@pytest.fixture(scope="session")
def ee_image():
    """The AWX/AAP execution environment as `make ee` builds it (ee/build.sh: skipped when an
    image of the same inputs exists; a lock keeps two workers from building it at once)."""
    built = subprocess.run([str(HERE.parents[1] / "ee" / "build.sh")], capture_output=True, text=True,
                           timeout=2400, check=False)
    assert built.returncode == 0, built.stderr[-4000:]
    return built.stdout.strip().splitlines()[-1]
