"""Inventories for a lab of tests/lab/lab.sh brought up with its own state directory, as
inventories/lab reaches the default one (which reads .lab/ through inventory_dir)."""

import json
import os
import pathlib
import shutil
import subprocess
import urllib.request

import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def ssh_vars(state):
    """Connection variables of every lab host: root over SSH on loopback, host keys checked."""
    return {
        "ansible_host": "127.0.0.1",
        "ansible_user": "root",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_private_key_file": str(state / "id_ed25519"),
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % (state / "known_hosts"),
    }


def all_vars():
    """inventories/lab/group_vars/all.yml: the one Sparkflows connection (the lab's emulator)."""
    return yaml.safe_load((REPO_ROOT / "inventories" / "lab" / "group_vars" / "all.yml").read_text())


def scorer_vars(state):
    """inventories/lab/group_vars/scorers.yml with this lab's registry password and CA."""
    values = yaml.safe_load((REPO_ROOT / "inventories" / "lab" / "group_vars" / "scorers.yml").read_text())
    values.update(scorer_registry_password=(state / "registry" / "password").read_text().strip(),
                  scorer_registry_ca_path=str(state / "registry" / "ca.crt"))
    return values


def lab_inventory(root, ports):
    """inventories/lab itself, as `make lab` runs it, copied to root/inventories/lab with only its
    hosts' SSH ports changed to ports ({host: port}, every host of it): its group_vars read the
    lab's state from root/.lab (inventory_dir/../../.lab) as `make lab`'s read .lab/, so a lab
    whose state directory is root/.lab is reached with every group, host and secret of it."""
    source = REPO_ROOT / "inventories" / "lab"
    target = pathlib.Path(root) / "inventories" / "lab"
    shutil.copytree(source, target)
    hosts = yaml.safe_load((source / "hosts.yml").read_text())
    found = set()

    def set_ports(group):
        for host, values in (group.get("hosts") or {}).items():
            assert host in ports, "inventories/lab host %s is not in this lab (%s)" % (host, sorted(ports))
            group["hosts"][host] = dict(values or {}, ansible_port=ports[host])
            found.add(host)
        for child in (group.get("children") or {}).values():
            set_ports(child or {})

    set_ports(hosts["all"])
    assert found == set(ports), "this lab's hosts %s, inventories/lab's %s" % (sorted(ports), sorted(found))
    (target / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return target


def single_file_inventory(inventory, target):
    """inventory (a copy of inventories/lab, lab_inventory's) as one YAML file at target, each
    group's group_vars inlined and the lab's state (inventory_dir/../../.lab) named by its absolute
    path: ansible-rulebook copies the inventory it is given into the private directory of each
    playbook run, where paths relative to inventory_dir no longer lead to the state."""
    inventory = pathlib.Path(inventory)
    state = str((inventory / ".." / ".." / ".lab").resolve())
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())

    def groups(name, group):
        yield name, group
        for child, values in ((group or {}).get("children") or {}).items():
            yield from groups(child, values)

    found = {}
    for name, group in groups("all", hosts["all"]):
        if group is not None and name not in found:
            found[name] = group
    for path in sorted((inventory / "group_vars").glob("*.yml")):
        text = path.read_text().replace("inventory_dir ~ '/../../.lab/", "'%s/" % state) \
            .replace("{{ inventory_dir }}/../../.lab/", "%s/" % state)
        assert "inventory_dir" not in text, path
        group = found.get(path.stem)
        if group is None:  # a group named only as a child (mlflow_db: {children: {mlflow:}})
            group = found[path.stem] = {}
            for _name, parent in groups("all", hosts["all"]):
                if parent and path.stem in (parent.get("children") or {}) and parent["children"][path.stem] is None:
                    parent["children"][path.stem] = group
        group["vars"] = dict(group.get("vars") or {}, **(yaml.safe_load(text) or {}))
    pathlib.Path(target).write_text(yaml.safe_dump(hosts, sort_keys=False))
    return pathlib.Path(target)


def group_vars(inventory, group):
    """The variables inventory/group_vars/GROUP.yml gives (as written: lookups unrendered)."""
    return yaml.safe_load((pathlib.Path(inventory) / "group_vars" / ("%s.yml" % group)).read_text()) or {}


def images_cache():
    """tests/lab/images.sh's cache directory (SFMLOPS_CACHE, else XDG_CACHE_HOME or ~/.cache,
    /sparkflows-mlops), where it records a Debian suite the archive did not serve."""
    if os.environ.get("SFMLOPS_CACHE"):
        return pathlib.Path(os.environ["SFMLOPS_CACHE"])
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "sparkflows-mlops"


def not_served(suite):
    """What tests/lab/images.sh recorded when the Debian archive did not serve suite (its last
    run without suites asked the archive and was refused), else None."""
    marker = images_cache() / ("not-served-%s" % suite)
    return marker.read_text().strip() if marker.is_file() else None


def require_image(image, suite):
    """None when image (of Debian suite) is built. Missing, it fails the test, unless images.sh
    recorded that the archive does not serve the suite: then the test skips with that reason
    (and tests/run-all.sh's summary says that suite was not tested)."""
    import pytest
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True, timeout=60,
                      check=False).returncode == 0:
        return
    reason = not_served(suite)
    if reason is not None:
        pytest.skip("%s is not built: %s" % (image, reason))
    pytest.fail("%s is not built, and tests/lab/images.sh did not record that the archive does not serve %s: "
                "run tests/lab/images.sh (make images)" % (image, suite), pytrace=False)


# lab.sh's hosts and the offset of each one's SSH port from the first (SFMLOPS_LAB_SSH_PORT);
# more balancers (SFMLOPS_LAB_BALANCERS) count down from lb1's: lb2 97, lb3 96.
LAB_HOSTS = {"mlflow1": 0, "scorer1": 1, "scorer2": 2, "lb1": 98, "sparkflows1": 99}
LAB_SCORERS = 2  # lab.sh's default: scorer1's scoring port, scorer2 the next one


def lb_vars(state):
    """inventories/lab/group_vars/scorer_lbs.yml with this lab's CA and API key."""
    return {
        "scorer_lb_tls_ca_certificate": (state / "ca" / "ca.crt").read_text(),
        "scorer_lb_tls_ca_private_key": (state / "ca" / "ca.key").read_text(),
        "scorer_lb_tls_names": yaml.safe_load((REPO_ROOT / "inventories" / "lab" / "group_vars" / "scorer_lbs.yml")
                                              .read_text())["scorer_lb_tls_names"],
        "scorer_lb_api_keys": [(state / "scorer-api-key").read_text().strip()],
    }


class Lab(object):
    """A lab of tests/lab/lab.sh of its own (its name, state directory and loopback ports free
    when it starts), so that it never touches a user's `make lab`; down() removes it. balancers:
    how many balancer hosts (lb1, lb2, ...), each publishing its HTTPS port (lb_ports)."""

    def __init__(self, name, state, suite="bookworm", balancers=1):
        # Imported here: tests/utils/ports.py is the tests' own, lab.py is also read by benchmarks.
        from utils.ports import free_port_ranges
        self.name, self.state, self.suite = name, state, suite
        ssh, scorer, mlflow, sparkflows, registry, lb, s3 = free_port_ranges(
            max(LAB_HOSTS.values()) + 1, LAB_SCORERS, 1, 1, 1, balancers, 1)
        hosts = dict(LAB_HOSTS, **dict(("lb%d" % n, LAB_HOSTS["lb1"] + 1 - n) for n in range(2, balancers + 1)))
        self.ports = dict((host, ssh + offset) for host, offset in hosts.items())
        self.sparkflows_port, self.lb_port, self.mlflow_port, self.s3_port = sparkflows, lb, mlflow, s3
        self.balancers = tuple("lb%d" % n for n in range(1, balancers + 1))
        self.lb_ports = tuple(lb + n for n in range(balancers))
        self.scorer_ports = tuple(scorer + n for n in range(LAB_SCORERS))
        self.env = dict(
            os.environ, SFMLOPS_LAB_NAME=name, SFMLOPS_LAB_STATE=str(state), SFMLOPS_LAB_SSH_PORT=str(ssh),
            SFMLOPS_LAB_SUITE=suite, SFMLOPS_LAB_MLFLOW_PORT=str(mlflow), SFMLOPS_LAB_SPARKFLOWS_PORT=str(sparkflows),
            SFMLOPS_LAB_SCORER_PORT=str(scorer), SFMLOPS_LAB_REGISTRY_PORT=str(registry), SFMLOPS_LAB_LB_PORT=str(lb),
            SFMLOPS_LAB_BALANCERS=str(balancers), SFMLOPS_LAB_S3_PORT=str(s3), ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"))

    def lab_sh(self, command):
        return subprocess.run([str(REPO_ROOT / "tests" / "lab" / "lab.sh"), command], env=self.env,
                              capture_output=True, text=True, timeout=300, check=False)

    def container(self, host):
        return "%s-%s" % (self.name, host)

    def playbook(self, inventory, name, *args, cwd=None, timeout=900):
        """ansible-playbook playbooks/NAME from cwd (as a shell runs it), on inventory."""
        return subprocess.run(["ansible-playbook", "-i", str(inventory), str(REPO_ROOT / "playbooks" / name), *args],
                              capture_output=True, text=True, timeout=timeout, check=False, env=self.env, cwd=cwd)

    def sparkflows_configurations(self):
        """The configurations the lab's Sparkflows (the emulator) holds: {name: value}."""
        request = urllib.request.Request("http://127.0.0.1:%d/api/v1/configurations" % self.sparkflows_port,
                                         headers={"token": "admin-token"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return dict((entry["name"], entry["value"]) for entry in json.loads(answer.read()))

    def service_state(self):
        """What a site.yml run leaves on the lab's hosts and in Sparkflows' configuration, read
        from them: {what: output} (assert_previewed_fresh_hosts: all of it absent on hosts as
        lab.sh made them)."""
        from utils.docker import docker

        def sh(host, command):
            return docker("exec", self.container(host), "sh", "-c", command).stdout.strip()
        states = {
            "haproxy": sh("lb1", "dpkg-query -W -f='${Status}' haproxy 2>/dev/null; ls -A /etc/haproxy 2>/dev/null"),
            "mlflow": sh("mlflow1", "ls -A /opt/mlflow 2>/dev/null; getent passwd mlflow; "
                                    "systemctl list-unit-files 'mlflow*' --no-legend"),
            "sparkflows key": sh("sparkflows1", "ls -A /home/sparkflows/.ssh 2>/dev/null"),
            "mlflow1 sparkflows login": sh("mlflow1", "getent passwd sparkflows"),
            "sparkflows configurations": json.dumps(self.sparkflows_configurations(), sort_keys=True),
        }
        for host in ("scorer1", "scorer2"):
            states["%s containers" % host] = sh(host, "docker ps -aq")
            states["%s images" % host] = sh(host, "docker images -q")
            states["%s python3-docker" % host] = sh(host, "dpkg-query -W -f='${Status}' python3-docker 2>/dev/null")
        return states


# site.yml's preview (--check --diff) of fresh service hosts says, per host, what it would change:
# {task: (host, a line of its diff)}: the packages, MLflow's unit, the models to fetch.
FRESH_PREVIEW = {"sparkflows.mlops.scorer_lb : Install HAProxy": ("lb1", "+haproxy: installed"),
                 "sparkflows.mlops.mlflow_host : Install the mlflow-tracking unit": ("mlflow1", "+[Unit]"),
                 "sparkflows.mlops.scorer : Fetch the models": ("scorer2", '+    "id": 101,')}


def assert_previewed_fresh_hosts(output, state):
    """A preview of site.yml on fresh service hosts: its output (the default callback's) says
    each change of FRESH_PREVIEW, and state (Lab.service_state() after it) shows nothing done:
    no HAProxy, MLflow, Sparkflows key or login, scorer, image or Docker SDK, and no MLflow
    configuration in Sparkflows."""
    for task, (host, shown) in FRESH_PREVIEW.items():
        # The task's output on each host (scorers.yml runs one host at a time: a block each).
        blocks = [part.split("\nTASK [", 1)[0] for part in output.split("TASK [%s" % task)[1:]]
        assert any("changed: [%s]" % host in block and shown in block for block in blocks), (task, blocks)
    assert state["haproxy"] == "", state  # not installed, no configuration written
    assert state["mlflow"] == "", state  # no venv, user or unit
    assert state["sparkflows key"] == "" and state["mlflow1 sparkflows login"] == "", state
    for host in ("scorer1", "scorer2"):
        assert (state["%s containers" % host], state["%s images" % host]) == ("", ""), state
        assert "ok installed" not in state["%s python3-docker" % host], state
    assert "mlops.mlflow.deploy.mode" not in json.loads(state["sparkflows configurations"]), state


def http_reply(port, host="127.0.0.1", timeout=10):
    """The first bytes a GET /health on host:port is answered with; b"" when the connection is
    refused, reset or closed unanswered (a published port whose target refuses: the engine's
    proxy accepts, then closes)."""
    import socket
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: scorer\r\nConnection: close\r\n\r\n")
            return connection.recv(64)
    except ConnectionError:
        return b""


def typed_as_text(roles, given):
    """`-e name=value` of every bool, int and float variable of roles (those the role_inputs lookup
    converts), as text, as the shell and AWX surveys give them: the value given, else the
    role's default; variables without a value are left out."""
    from ansible_collections.sparkflows.mlops.plugins.lookup.role_inputs import typed_options
    options = []
    for role in roles:
        defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
        for name in typed_options(role):
            value = given.get(name, defaults.get(name))
            if value is not None:
                options += ["-e", "%s=%s" % (name, str(value).lower() if isinstance(value, bool) else value)]
    return options
