"""port_owners_info: the listeners read from `ss -Hltnp` (a sample of an MLflow host in ss's
format, and this machine's own ss with a socket this test listens on), the unit of a process
from its cgroup, and which ports another unit holds; the run, with ss through a fake host."""

import os
import pathlib
import socket
import subprocess

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.port_owners import (
    conflicts,
    holder,
    listeners,
    run,
    unit_of,
)

SS = (pathlib.Path(__file__).parent.parent / "fixtures" / "ss-Hltnp.txt").read_text()


def test_only_the_ports_asked_about_are_read_each_with_its_first_process():
    assert listeners(SS, {5000, 8086, 5002, 9999}) == [
        {"port": 5000, "address": "0.0.0.0", "pid": 812, "process": "gunicorn"},
        {"port": 8086, "address": "[::]", "pid": 1200, "process": "java"},
        {"port": 5002, "address": "127.0.0.1", "pid": None, "process": None},
    ]


def test_the_unit_of_a_process_from_its_cgroup():
    assert unit_of("0::/system.slice/mlflow-tracking.service\n") == "mlflow-tracking.service"
    # Inside a container whose cgroup namespace is the host's: the innermost unit.
    assert unit_of("0::/system.slice/docker-ab12.scope/system.slice/mlflow-model@churn.service\n") \
        == "mlflow-model@churn.service"
    assert unit_of("12:pids:/x\n1:name=systemd:/system.slice/fire-mlops.service\n0::/\n") == "fire-mlops.service"
    assert unit_of("0::/\n") is None and unit_of("") is None


def test_a_port_another_unit_holds_is_a_conflict_and_an_invisible_process_is_not_judged():
    owners = [dict(port=5000, address="0.0.0.0", pid=812, process="gunicorn", unit="mlflow-tracking.service"),
              dict(port=5001, address="127.0.0.1", pid=901, process="python3", unit="jupyter.service"),
              dict(port=5002, address="127.0.0.1", pid=None, process=None, unit=None),
              dict(port=22, address="0.0.0.0", pid=101, process="sshd", unit="ssh.service")]
    expected = {5000: "mlflow-tracking.service", 5001: "mlflow-model@churn.service", 5002: "mlflow-model@up.service"}
    assert conflicts(owners, expected) == [dict(owners[1], expected="mlflow-model@churn.service")]


def test_the_holder_in_words():
    assert holder(dict(unit="jupyter.service", process="python3", pid=9)) == "jupyter.service"
    assert holder(dict(unit=None, process="python3", pid=9)) == "process python3, pid 9, in no systemd unit"


def test_this_machines_ss_shows_the_socket_this_test_listens_on():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        output = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True, timeout=30).stdout
    assert listeners(output, {port}) == [{"port": port, "address": "127.0.0.1", "pid": os.getpid(),
                                          "process": pathlib.Path("/proc/self/comm").read_text().strip()}]


def test_the_run_reads_ss_through_the_host_and_judges_the_ports_expected(fake_host):
    fake_host.answers["ss"] = (0, SS, "")
    result = run(dict(ports=[5000], expected={"8086": "fire-mlops.service"}), True, fake_host)
    assert fake_host.commands == [(["/usr/bin/ss", "-Hltnp"], None)]
    assert result["changed"] is False
    assert [(owner["port"], owner["process"]) for owner in result["owners"]] == [(5000, "gunicorn"), (8086, "java")]
    assert all(owner["holder"] for owner in result["owners"])


@pytest.mark.parametrize("params, message", [
    (dict(ports=[], expected={"http": "x.service"}), "expected must map port numbers to unit names, got {'http': 'x.service'}"),
    (dict(ports=[0, 70000], expected={}), "ports must be between 1 and 65535, got 0, 70000"),
])
def test_options_the_spec_cannot_check_are_refused(fake_host, params, message):
    with pytest.raises(ModuleFailure) as failed:
        run(params, False, fake_host)
    assert failed.value.msg == message and fake_host.commands == []


def test_a_failing_ss_fails_with_its_error(fake_host):
    fake_host.answers["ss"] = (1, "", "Cannot open netlink socket\n")
    with pytest.raises(ModuleFailure, match="^ss -Hltnp failed: Cannot open netlink socket$"):
        run(dict(ports=[5000], expected={}), False, fake_host)
