"""Run a playbook of tasks through ansible-playbook, as a user would, and read its results."""

import json
import os
import re
import subprocess
import sys

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


RECAP = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap_of(process):
    """{host: (changed, unreachable, failed)} of an ansible-playbook run's PLAY RECAP (default output)."""
    return dict((host, tuple(int(n) for n in numbers)) for host, *numbers in RECAP.findall(process.stdout))


def recap_changed(stdout):
    """changed= of the PLAY RECAP in ansible-playbook's default output (one host, or the first)."""
    return int(stdout.split("PLAY RECAP")[-1].split("changed=")[1].split()[0])


def failed_messages(stdout):
    """The msg of every failed task result in ansible-playbook's default output, in order: the
    JSON after `fatal: [HOST]: FAILED! => ` (or `failed: [HOST] (item=...) => ` in a loop)."""
    decoder = json.JSONDecoder()
    messages = []
    for marker in ("\nfatal: [", "\nfailed: ["):
        start = 0
        while True:
            at = stdout.find(marker, start)
            if at < 0:
                break
            arrow = stdout.find(" => ", at)
            start = at + len(marker)
            if arrow < 0 or "\n" in stdout[at + 1:arrow]:
                continue
            try:
                result, _end = decoder.raw_decode(stdout, arrow + 4)
            except ValueError:
                continue
            messages.append((at, " ".join(str(result.get("msg", "")).split())))
    return [message for _at, message in sorted(messages)]


class Run(object):
    def __init__(self, process, callback):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.results = []
        if callback == "json":
            document = json.loads(process.stdout)
            for play in document["plays"]:
                for task in play["tasks"]:
                    self.results.append(task["hosts"]["localhost"])

    @property
    def result(self):
        """The result of the last task that ran."""
        return self.results[-1]


def run_playbook(tmp_path, tasks, module_defaults=None, args=(), callback="json", extra_vars=None, timeout=300):
    play = {
        "name": "sparkflows.mlops integration",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": sys.executable},
        "tasks": tasks,
    }
    if module_defaults:
        play["module_defaults"] = {"group/sparkflows.mlops.sparkflows": module_defaults}
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    command = ["ansible-playbook", "-i", "localhost,", str(playbook), *args]
    if extra_vars:
        # From a 0600 file, as AWX passes them: the values (passwords, tokens) stay out of the
        # process list.
        extra = tmp_path / "extra-vars.json"
        extra.touch(mode=0o600)
        extra.chmod(0o600)
        extra.write_text(json.dumps(extra_vars))
        command += ["-e", "@%s" % extra]
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK=callback, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    try:
        process = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    finally:
        if extra_vars:
            extra.unlink()
    return Run(process, callback)


def play_roles(play):
    """The names (without the collection) of the roles a play applies: those of its `roles`, and
    those its tasks import (import_role, an entry point per play)."""
    entries = list(play.get("roles") or []) + [task["ansible.builtin.import_role"] for task in play.get("tasks") or []
                                               if "ansible.builtin.import_role" in task]
    return [str(entry.get("role", entry.get("name")) if isinstance(entry, dict) else entry).rsplit(".", 1)[-1]
            for entry in entries]
