"""tests/utils/process.py: a process that ends on SIGTERM is waited for; one that ignores it is
killed after the time given."""

import subprocess
import sys
import time

from utils.process import stop


def test_a_process_that_ends_on_sigterm_ends_so():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert stop(process) == -15


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout():
    process = subprocess.Popen([sys.executable, "-c", "import signal, sys, time\n"
                                "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True)\n"
                                "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    started = time.monotonic()
    assert stop(process, timeout=1) == -9
    assert time.monotonic() - started < 10


def test_a_process_that_ended_already_gives_its_status():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait(timeout=30)
    assert stop(process) == 3
