"""A pytest plugin for `make mutation` only (tests/mutation.sh puts it beside the mutated copy
and setup.cfg loads it with -p).

- While mutmut records which tests reach which function (MUTANT_UNDER_TEST=stats), a module that a
  test runs in a Python process of its own (tests/utils/module.py) would try to record its calls
  too and fail, having no mutmut configuration in its working directory. Such a process is run
  unmutated then: the variable is hidden from child processes for the stats run only (mutmut keeps
  a copy of it in the test process). While a mutant is tested, child processes see its name and
  run it, so tests that run a module do kill mutants.
- mutmut's own timeout limits CPU time: a mutant that deadlocks (the hashing thread of a download
  waiting forever) uses none and would hang the run. Each test gets a wall-clock limit
  (SFMLOPS_MUTATION_TEST_TIMEOUT, 20 s; the slowest unit test takes about 2 s): past it, the test
  fails, and the mutant counts as killed, as a hang is a failure any user would see.
"""

import os
import signal

import pytest

TIMEOUT = int(os.environ.get("SFMLOPS_MUTATION_TEST_TIMEOUT", "20"))


class MutantHung(Exception):
    pass


def _hung(signum, frame):
    raise MutantHung("test still running after %d s (wall clock): the mutant hangs" % TIMEOUT)


@pytest.fixture(autouse=True)
def _no_stats_in_child_processes(monkeypatch):
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        monkeypatch.delenv("MUTANT_UNDER_TEST")
    yield


@pytest.fixture(autouse=True)
def _wall_clock_limit():
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
