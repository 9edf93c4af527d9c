"""The docker CLI for tests: bounded, output captured, the exit status left to the caller."""

import json
import subprocess


def docker(*args, timeout=300):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def inspect(name):
    """`docker inspect NAME` as a dict, None when there is no such container."""
    answer = docker("inspect", name)
    return json.loads(answer.stdout)[0] if answer.returncode == 0 else None
