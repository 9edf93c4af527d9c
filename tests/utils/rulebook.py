"""The real ansible-rulebook running a rulebook of one of the collection's event sources, as an
admin runs it: secrets in the environment (--env-vars), -vv, the collection found through this
checkout's ansible.cfg. Its rules engine runs on Debian's Java 17 runtime, installed by
tests/utils/apt-install.sh when missing."""

import contextlib
import os
import pathlib
import subprocess
import time

import yaml

from utils.process import stop

REPO = pathlib.Path(__file__).resolve().parents[2]
APT_INSTALL = REPO / "tests" / "utils" / "apt-install.sh"


class Rulebook(object):
    def __init__(self, log_path):
        self._log_path = log_path

    def output(self):
        """Everything ansible-rulebook printed so far."""
        return self._log_path.read_text()

    def wait_for(self, text, timeout, count=1):
        """Whether text appears count times in the output within timeout seconds (polled each half
        second)."""
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True


@contextlib.contextmanager
def running_rulebook(directory, source, arguments, rules, secrets, ready):
    """ansible-rulebook on one ruleset: the event source sparkflows.mlops.<source> with the
    arguments given (a secret as "{{ NAME }}", NAME a key of secrets, given in the environment)
    and the rules given, on an inventory of localhost; returned once the output shows ready (at
    most 120 s), stopped at the end."""
    directory = pathlib.Path(directory)
    (directory / "rulebook.yml").write_text(yaml.safe_dump([{
        "name": "Collection events", "hosts": "all", "sources": [{"sparkflows.mlops." + source: arguments}],
        "rules": rules}]))
    (directory / "rulebook-inventory.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    with _running(directory, [str(directory / "rulebook.yml"), "-i", str(directory / "rulebook-inventory.yml")],
                  secrets, ready, cwd=REPO) as rulebook:
        yield rulebook


@contextlib.contextmanager
def running_collection_rulebook(directory, name, inventory, variables, secrets, ready, env=None):
    """ansible-rulebook on the collection's rulebook sparkflows.mlops.<name> as its header says to
    run it: on inventory, the variables given in a --vars file, the secrets in the environment
    (--env-vars), from directory (not this checkout: the collection is found as installed) with
    env added; returned once the output shows ready (at most 120 s), stopped at the end."""
    directory = pathlib.Path(directory)
    (directory / "eda-vars.yml").write_text(yaml.safe_dump(variables))
    with _running(directory, ["sparkflows.mlops." + name, "-i", str(inventory), "--vars", str(directory / "eda-vars.yml")],
                  secrets, ready, cwd=directory, env=env) as rulebook:
        yield rulebook


@contextlib.contextmanager
def _running(directory, arguments, secrets, ready, cwd, env=None):
    subprocess.run([str(APT_INSTALL), "openjdk-17-jre-headless"], check=True, timeout=900)
    log_path = directory / "rulebook.log"
    command = ["ansible-rulebook", "-r"] + arguments + ["-vv"]
    for name in secrets:
        command += ["--env-vars", name]
    environment = dict(os.environ, **(env or {}))
    environment.update(secrets, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=str(cwd), env=environment)
    try:
        rulebook = Rulebook(log_path)
        deadline = time.monotonic() + 120
        while ready not in rulebook.output():
            assert process.poll() is None and time.monotonic() < deadline, \
                "ansible-rulebook did not start the source:\n" + rulebook.output()[-4000:]
            time.sleep(0.5)
        yield rulebook
    finally:
        stop(process, timeout=30)
