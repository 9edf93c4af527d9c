"""The docker CLI for tests: bounded, output captured, the exit status left to the caller."""

import json
import subprocess
import time


def docker(*args, timeout=300):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def inspect(name):
    """`docker inspect NAME` as a dict, None when there is no such container."""
    answer = docker("inspect", name)
    return json.loads(answer.stdout)[0] if answer.returncode == 0 else None


# A lab host container with systemd as PID 1, not --privileged.
SYSTEMD_HOST_OPTIONS = ("--cap-add", "SYS_ADMIN", "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
                        "--tmpfs", "/run", "--tmpfs", "/run/lock")


def run_systemd_host(name, image, *options):
    """Start a systemd lab host container NAME (docker run OPTIONS besides); the caller removes it
    (docker rm -f -v NAME) and waits for its boot with wait_for_systemd."""
    started = docker("run", "-d", "--name", name, *SYSTEMD_HOST_OPTIONS, *options, image)
    assert started.returncode == 0, started.stderr


def wait_for_systemd(name, seconds=90):
    """Until systemd in container NAME has booted (running or degraded), bounded."""
    deadline = time.monotonic() + seconds
    while docker("exec", name, "systemctl", "is-system-running").stdout.strip() not in ("running", "degraded"):
        assert time.monotonic() < deadline, "systemd in %s did not finish booting within %ds" % (name, seconds)
        time.sleep(1)
