"""Verify the default scenario on the converged lab host (testinfra)."""

import time


def test_systemd_is_pid_1(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_probe_unit_is_templated_by_ansible(host):
    unit = host.file("/etc/systemd/system/lab-probe.service")
    assert unit.exists
    assert unit.user == "root"
    assert unit.mode == 0o644
    assert "Ansible managed" in unit.content_string


def test_probe_service_enabled_running_and_answering(host):
    service = host.service("lab-probe")
    assert service.is_enabled
    assert service.is_running
    assert host.socket("tcp://127.0.0.1:8099").is_listening
    page = host.check_output("curl -fsS --max-time 5 http://127.0.0.1:8099/index.html")
    assert page == "sparkflows.mlops lab probe"


def test_probe_service_restarts_after_kill(host):
    host.run_expect([0], "systemctl kill --signal=SIGKILL lab-probe.service")
    # Bounded wait for Restart=on-failure (RestartSec=1).
    for _attempt in range(30):
        if host.run("systemctl is-active lab-probe.service").stdout.strip() == "active" and host.run(
            "curl -fsS --max-time 2 http://127.0.0.1:8099/index.html"
        ).rc == 0:
            break
        time.sleep(0.5)
    assert host.run("curl -fsS --max-time 2 http://127.0.0.1:8099/index.html").stdout == "sparkflows.mlops lab probe\n"
