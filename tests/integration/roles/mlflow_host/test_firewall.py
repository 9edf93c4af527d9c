"""mlflow_host opens the MLflow ports in a real nftables, ufw or firewalld that denies by default.

Each backend runs in its own systemd lab host (with NET_ADMIN, still not --privileged), reached
through the community.docker.docker connection. Only the role's validation and firewall tasks
run. A port of the served-model range answers from this machine only once the role opened it;
a port outside the range stays closed; the second run changes nothing.
"""

import json
import socket
import subprocess
import uuid

import pytest
import yaml

from utils.docker import docker, run_systemd_host, wait_for_systemd
from utils.playbook import REPO_ROOT, recap_changed

IMAGE = "sfmlops/lab-host:bookworm"
SETUP = {
    # Debian's default ruleset with a dropping input policy (loopback and replies allowed).
    "nftables": "apt-get install -y -qq nftables >/dev/null && printf '%s\\n' '#!/usr/sbin/nft -f' 'flush ruleset'"
                " 'table inet filter {' '  chain input { type filter hook input priority filter; policy drop;'"
                " '    iif lo accept; ct state established,related accept; }' '}' > /etc/nftables.conf"
                " && systemctl enable --now nftables && systemctl restart nftables",
    "ufw": "apt-get install -y -qq ufw >/dev/null && ufw default deny incoming && ufw --force enable",
    "firewalld": "apt-get install -y -qq firewalld >/dev/null && systemctl enable --now firewalld"
                 " && firewall-cmd --state",
}


def connect(address, port):
    """How a TCP connection to address:port from this machine ends (bounded: 3 s): "accepted",
    "refused" (a reset: nothing listens) or "filtered" (dropped, or rejected with an ICMP error:
    a firewall rule)."""
    try:
        with socket.create_connection((address, port), timeout=3):
            return "accepted"
    except ConnectionRefusedError:
        return "refused"
    except OSError:  # timeout, EHOSTUNREACH, ENETUNREACH, EACCES
        return "filtered"


def listen(name, *ports):
    """Start an HTTP server on each port inside the host, and prove it accepts there (bounded)."""
    for port in ports:
        docker("exec", "-d", name, "python3", "-m", "http.server", "--bind", "0.0.0.0", str(port))
    probe = ("import socket, sys, time\n"
             "for port in sys.argv[1:]:\n"
             "    for attempt in range(50):\n"
             "        try:\n"
             "            socket.create_connection(('127.0.0.1', int(port)), 1).close()\n"
             "            break\n"
             "        except OSError:\n"
             "            time.sleep(0.2)\n"
             "    else:\n"
             "        sys.exit('nothing listens on %s' % port)\n")
    listening = docker("exec", name, "python3", "-c", probe, *[str(port) for port in ports], timeout=60)
    assert listening.returncode == 0, listening.stderr


@pytest.fixture
def host(request, tmp_path):
    name = "sfmlops-fw-%s" % uuid.uuid4().hex[:8]
    request.addfinalizer(lambda: docker("rm", "-f", "-v", name))
    run_systemd_host(name, IMAGE, "--cap-add", "NET_ADMIN")
    wait_for_systemd(name)
    address = json.loads(docker("inspect", name).stdout)[0]["NetworkSettings"]["IPAddress"]
    return name, address


def apply_role(tmp_path, name, *args, **role_vars):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {name: {
        "ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    playbook = tmp_path / "firewall.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Firewall of the MLflow host", "hosts": "all", "gather_facts": True,
        "roles": [{"role": "sparkflows.mlops.mlflow_host",
                   # The firewall tag installs the role's packages too: the JDK is not needed here.
                   "vars": dict({"mlflow_host_admin_password": "Adm1n-Passw0rd", "mlflow_host_install_jdk": False},
                                **role_vars)}],
    }]))
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(playbook), "--tags", "mlflow_host_validate,mlflow_host_firewall",
         *args],
        capture_output=True, text=True, timeout=600, check=False,
        env={"PATH": subprocess.os.environ["PATH"], "HOME": subprocess.os.environ["HOME"],
             "ANSIBLE_CONFIG": str(REPO_ROOT) + "/ansible.cfg", "ANSIBLE_NOCOLOR": "1"},
    )


@pytest.mark.parametrize("backend", ["nftables", "ufw", "firewalld"])
def test_role_opens_the_model_ports_and_nothing_else(tmp_path, host, backend):
    name, address = host
    setup = docker("exec", name, "sh", "-c", "apt-get update -qq && " + SETUP[backend])
    assert setup.returncode == 0, setup.stdout + setup.stderr
    listen(name, 5001, 5100)  # a served-model port of the range, and one outside it
    assert connect(address, 5001) == "filtered", "the %s setup does not deny by default" % backend

    first = apply_role(tmp_path, name, mlflow_host_firewall=backend)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert connect(address, 5001) == "accepted"
    # 5100 still listens: closed to this machine by the ruleset, not by absence.
    listen(name, 5100)
    assert connect(address, 5100) == "filtered"

    second = apply_role(tmp_path, name, mlflow_host_firewall=backend)
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap_changed(second.stdout) == 0, second.stdout[-4000:]

    if backend == "nftables":
        # What a reboot does: the service loads /etc/nftables.conf, which includes the rule.
        assert docker("exec", name, "systemctl", "restart", "nftables").returncode == 0
        assert (connect(address, 5001), connect(address, 5100)) == ("accepted", "filtered")


def test_sources_limit_who_may_connect(tmp_path, host):
    name, address = host
    setup = docker("exec", name, "sh", "-c", "apt-get update -qq && " + SETUP["nftables"])
    assert setup.returncode == 0, setup.stderr
    listen(name, 5001)
    # Only a network this machine is not in may connect.
    applied = apply_role(tmp_path, name, mlflow_host_firewall="nftables", mlflow_host_firewall_sources=["192.0.2.0/24"])
    assert applied.returncode == 0, applied.stdout[-4000:]
    listen(name, 5001)
    assert connect(address, 5001) == "filtered"
    rules = docker("exec", name, "nft", "list", "chain", "inet", "filter", "input").stdout
    # nft merges the tracking port and the adjacent range into one interval.
    assert 'ip saddr 192.0.2.0/24 tcp dport { 5000-5099 } accept comment "sparkflows-mlflow"' in rules, rules


def test_a_missing_chain_is_refused_before_anything_is_written(tmp_path, host):
    name, _address = host
    setup = docker("exec", name, "sh", "-c", "apt-get update -qq && " + SETUP["nftables"])
    assert setup.returncode == 0, setup.stderr
    refused = apply_role(tmp_path, name, mlflow_host_firewall="nftables", mlflow_host_nftables_chain="inet nope input")
    assert refused.returncode != 0
    assert "Check the rule against /etc/nftables.conf" in refused.stdout
    assert docker("exec", name, "test", "-e", "/etc/nftables.d/sparkflows-mlflow.nft").returncode != 0
    assert "include" not in docker("exec", name, "cat", "/etc/nftables.conf").stdout


@pytest.mark.parametrize("backend", ["nftables", "ufw"])
def test_check_mode_on_a_host_without_the_firewall_notes_it_and_changes_nothing(tmp_path, host, backend):
    # The install is only simulated in check mode: the firewall's tool is not there to preview with.
    name, _address = host
    previewed = apply_role(tmp_path, name, "--check", mlflow_host_firewall=backend)
    assert previewed.returncode == 0, previewed.stdout[-4000:] + previewed.stderr[-2000:]
    assert "Check mode: %s is not installed yet (%s would be)" % (backend, backend) in " ".join(previewed.stdout.split())
    assert docker("exec", name, "dpkg", "-s", backend).returncode != 0
