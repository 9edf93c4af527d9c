"""The docker CLI for tests: bounded, output captured, the exit status left to the caller."""

import json
import os
import pathlib
import subprocess


def docker(*args, timeout=300, env=None):
    """docker ARGS; env: more environment variables of the CLI (`docker exec -e NAME` passes NAME's
    value from there, out of the process list)."""
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, **env) if env else None)


def inspect(name):
    """`docker inspect NAME` as a dict, None when there is no such container."""
    answer = docker("inspect", name)
    return json.loads(answer.stdout)[0] if answer.returncode == 0 else None


LAB = pathlib.Path(__file__).resolve().parents[1] / "lab"


def lab_options(name):
    """The docker run options of tests/lab/NAME (host-options, scorer-host-options), one per line."""
    return tuple(line.strip() for line in (LAB / name).read_text().splitlines()
                 if line.strip() and not line.startswith("#"))


# A lab host container with systemd as PID 1, not --privileged (the lab's own options).
SYSTEMD_HOST_OPTIONS = lab_options("host-options")


def run_systemd_host(name, image, *options):
    """Start a systemd lab host container NAME (docker run OPTIONS besides); the caller removes it
    (docker rm -f -v NAME) and waits for its boot with wait_for_systemd."""
    started = docker("run", "-d", "--name", name, *SYSTEMD_HOST_OPTIONS, *options, image)
    assert started.returncode == 0, started.stderr


def wait_for_systemd(name, seconds=90):
    """Until systemd in container NAME has booted, bounded; a boot with failed units (degraded)
    fails, naming them (tests/lab/wait-booted.sh, the lab's own wait)."""
    waited = subprocess.run([str(LAB / "wait-booted.sh"), name, str(seconds)], capture_output=True, text=True,
                            timeout=seconds + 60, check=False)
    assert waited.returncode == 0, waited.stderr.strip()
