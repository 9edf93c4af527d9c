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


def failed_units(name):
    """The units systemd in container NAME lists as failed."""
    listing = docker("exec", name, "systemctl", "--failed", "--no-legend", "--plain").stdout
    return [line.split()[0] for line in listing.splitlines() if line.strip()]


def wait_for_systemd(name, seconds=90):
    """Until systemd in container NAME has booted, bounded; a boot with failed units (degraded)
    fails, naming them."""
    deadline = time.monotonic() + seconds
    while True:
        status = docker("exec", name, "systemctl", "is-system-running").stdout.strip()
        if status == "running":
            return
        assert status != "degraded", "%s booted with failed units: %s" % (name, " ".join(failed_units(name)))
        assert time.monotonic() < deadline, "systemd in %s did not finish booting within %ds" % (name, seconds)
        time.sleep(1)
