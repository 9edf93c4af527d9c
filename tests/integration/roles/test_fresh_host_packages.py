"""Every role's package step (tasks/packages.yml, the role's only package installation) succeeds on
a freshly provisioned host: empty apt lists in a directory written just now, the state in which
apt's cache_valid_time skips the refresh and "No package matching ... is available" follows
(a fresh-machine regression). A second run changes nothing.

Each role's step runs alone on a fresh host of its own (one role's refresh must not hide
another's), all of a release's hosts in one playbook run: the roles' steps in parallel."""

import os
import pathlib
import subprocess
import uuid

import pytest
import yaml

from utils.docker import docker, run_systemd_host, wait_for_systemd
from utils.lab import require_image
from utils.playbook import REPO_ROOT, recap_of

ROLES = sorted(p.parent.parent.name for p in (pathlib.Path(REPO_ROOT) / "roles").glob("*/tasks/packages.yml"))
# What each role's package step installs with its defaults (its packages.yml says where they come from).
EXPECTED = {
    "mlflow_db": ["postgresql", "python3-psycopg2", "acl"],
    "mlflow_host": ["python3-venv", "python3-packaging", "default-jre-headless"],
    "scorer": ["python3-docker"],
    "scorer_lb": ["haproxy", "socat", "python3-cryptography"],
    "sparkflows_mlflow": ["python3-paramiko", "openssh-client"],
}


@pytest.fixture(params=["bookworm", "trixie"])
def fresh_hosts(request):
    """{role: container}: a freshly provisioned host of the release for each role's step."""
    image = "sfmlops/lab-host:%s" % request.param
    # Missing, it fails the test, unless tests/lab/images.sh recorded that the archive does not
    # serve the suite (a skip with that reason; make test's summary says so).
    require_image(image, request.param)
    hosts = dict((role, "sfmlops-fresh-%s-%s" % (role.replace("_", "-"), uuid.uuid4().hex[:8])) for role in EXPECTED)
    for name in hosts.values():
        request.addfinalizer(lambda name=name: docker("rm", "-f", "-v", name))
        run_systemd_host(name, image)
    for name in hosts.values():
        wait_for_systemd(name)
    return hosts


def run_package_steps(tmp_path, hosts):
    """Each host its role's package step, in one playbook run: {host: (changed, unreachable, failed)}
    and the run."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": dict((name, {
        "package_role": role, "ansible_connection": "community.docker.docker",
        "ansible_python_interpreter": "/usr/bin/python3"}) for role, name in hosts.items())}}))
    playbook = tmp_path / "packages.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [
        {"ansible.builtin.include_role": {"name": "sparkflows.mlops.{{ package_role }}", "tasks_from": "packages"}}]}]))
    ran = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook), "--forks", str(len(hosts))],
                         capture_output=True, text=True, timeout=900, check=False,
                         env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1"))
    return recap_of(ran), ran


def test_every_role_has_a_package_step():
    assert ROLES == sorted(EXPECTED)


def test_package_steps_on_fresh_hosts(tmp_path, fresh_hosts):
    for name in fresh_hosts.values():
        lists = docker("exec", name, "sh", "-c",
                       "find /var/lib/apt/lists -name '*_Packages*' | wc -l; "
                       "echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/lists) ))").stdout.split()
        assert lists[0] == "0" and int(lists[1]) < 600, "not a freshly provisioned host: %s" % lists

    first, ran = run_package_steps(tmp_path, fresh_hosts)
    assert ran.returncode == 0 and sorted(first) == sorted(fresh_hosts.values()), ran.stdout[-6000:]
    for role, name in fresh_hosts.items():
        for package in EXPECTED[role]:
            status = docker("exec", name, "dpkg-query", "-W", "-f", "${db:Status-Status}", package).stdout
            assert status == "installed", "%s: %s not installed" % (role, package)

    second, ran = run_package_steps(tmp_path, fresh_hosts)
    assert ran.returncode == 0 and second == dict((name, (0, 0, 0)) for name in fresh_hosts.values()), \
        ran.stdout[-6000:]
