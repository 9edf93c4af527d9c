"""The lab's systemd hosts count as booted only when no unit failed: a degraded boot fails the
wait, naming the failed units, instead of going unnoticed."""

import uuid

import pytest

from utils.docker import docker, run_systemd_host, wait_for_systemd

IMAGE = "sfmlops/lab-host:bookworm"


def test_a_clean_boot_is_booted():
    name = "sfmlops-boot-%s" % uuid.uuid4().hex[:8]
    try:
        run_systemd_host(name, IMAGE)
        wait_for_systemd(name)
    finally:
        docker("rm", "-f", "-v", name)


def test_a_failed_unit_fails_the_wait_naming_it():
    name = "sfmlops-boot-%s" % uuid.uuid4().hex[:8]
    try:
        run_systemd_host(name, IMAGE)
        wait_for_systemd(name)
        # A unit that fails, as a broken service at boot does: systemd is then degraded.
        broken = docker("exec", name, "systemd-run", "--unit", "sfmlops-broken", "--wait", "/bin/false")
        assert broken.returncode != 0
        assert docker("exec", name, "systemctl", "is-system-running").stdout.strip() == "degraded"
        with pytest.raises(AssertionError, match="%s booted with failed units: sfmlops-broken.service" % name):
            wait_for_systemd(name)
    finally:
        docker("rm", "-f", "-v", name)
