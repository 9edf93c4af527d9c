"""os_packages against real apt on a freshly provisioned lab host (empty package lists in a
directory written just now, no update record), through ansible-playbook and the
community.docker.docker connection: the index is refreshed exactly when it cannot be trusted,
check mode installs nothing, a second run changes nothing, bad input fails clearly."""

import json
import os
import subprocess
import uuid

import pytest
import yaml

from utils.docker import docker, run_systemd_host, wait_for_systemd
from utils.playbook import REPO_ROOT

IMAGE = "sfmlops/lab-host:bookworm"
STAMP = "/var/lib/apt/periodic/update-success-stamp"


@pytest.fixture(scope="module")
def host():
    name = "sfmlops-pkg-%s" % uuid.uuid4().hex[:8]
    run_systemd_host(name, IMAGE)
    try:
        wait_for_systemd(name)
        yield name
    finally:
        docker("rm", "-f", "-v", name)


def sh(host, script):
    answer = docker("exec", host, "sh", "-c", script)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return answer.stdout.strip()


def installed(host, package):
    return docker("exec", host, "dpkg-query", "-W", "-f", "${db:Status-Status}", package).stdout == "installed"


def os_packages(tmp_path, host, *args, **options):
    """The task's result in one ansible-playbook run (JSON callback)."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {host: {
        "ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}}}}))
    playbook = tmp_path / "packages.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False,
                                         "tasks": [{"sparkflows.mlops.os_packages": options}]}]))
    process = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(playbook), *args], capture_output=True, text=True,
        timeout=600, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json",
                 ANSIBLE_NOCOLOR="1"))
    result = json.loads(process.stdout)["plays"][0]["tasks"][0]["hosts"][host]
    assert bool(result.get("failed")) == (process.returncode != 0), process.stdout
    return result


def test_a_fresh_host_starts_with_empty_lists_written_just_now(host):
    # The state that defeats apt's cache_valid_time: the directory's mtime says "fresh".
    assert sh(host, "find /var/lib/apt/lists -name '*_Packages*' | wc -l") == "0"
    assert int(sh(host, "echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/lists) ))")) < 600
    assert sh(host, "test -e %s && echo yes || echo no" % STAMP) == "no"


def test_install_refresh_and_idempotence(tmp_path, host):
    checked = os_packages(tmp_path, host, "--check", "--diff", name=["tree"])
    assert (checked["changed"], checked["installed"], checked["simulated"]) == (True, ["tree"], ["tree"])
    assert checked["cache_update_reason"].startswith("no package lists")
    assert "tree: absent" in checked["diff"]["before"] and "tree: installed" in checked["diff"]["after"]
    assert not installed(host, "tree"), "check mode installed the package"
    assert sh(host, "find /var/lib/apt/lists -name '*_Packages*' | wc -l") == "0", "check mode refreshed the index"

    first = os_packages(tmp_path, host, name=["tree"])
    assert not first.get("failed"), first
    assert (first["changed"], first["installed"], first["cache_updated"]) == (True, ["tree"], True)
    assert first["simulated"] == []
    assert installed(host, "tree")
    assert sh(host, "test -e %s && echo yes" % STAMP) == "yes"

    again = os_packages(tmp_path, host, name=["tree"])
    assert (again["changed"], again["installed"], again["cache_updated"]) == (False, [], False)

    # A trusted index (updated just now) is not refreshed for the next package.
    trusted = os_packages(tmp_path, host, name=["tree", "bc"])
    assert (trusted["changed"], trusted["installed"], trusted["cache_updated"]) == (True, ["bc"], False)

    # An update record older than cache_valid_time is: whatever the lists' mtime says.
    sh(host, "touch -d '2 hours ago' %s && touch /var/lib/apt/lists" % STAMP)
    stale = os_packages(tmp_path, host, name=["less"])
    assert (stale["changed"], stale["cache_updated"]) == (True, True)
    assert stale["cache_update_reason"].startswith("last update")
    assert installed(host, "less")

    # A source added after the last update makes the index stale too.
    sh(host, "echo '# a new source' > /etc/apt/sources.list.d/sfmlops-test.list")
    changed_sources = os_packages(tmp_path, host, "--check", name=["file"])
    assert changed_sources["cache_update_reason"] == "the apt sources changed since the last update"
    sh(host, "rm /etc/apt/sources.list.d/sfmlops-test.list")


def test_an_unknown_package_fails_clearly_and_installs_nothing(tmp_path, host):
    sh(host, "touch %s" % STAMP)  # a trusted index: check mode asks apt
    checked = os_packages(tmp_path, host, "--check", name=["bc", "sfmlops-no-such-package", "jq"])
    assert checked.get("failed") and "sfmlops-no-such-package" in checked["msg"], checked
    result = os_packages(tmp_path, host, name=["sfmlops-no-such-package", "jq"])
    assert result.get("failed") and "Unable to locate package sfmlops-no-such-package" in result["msg"], result
    assert not installed(host, "jq"), "one transaction: nothing of it may be installed"


@pytest.mark.parametrize("options, message", [
    ({"name": ["Not A Package"]}, "not package names: 'Not A Package'"),
    ({"name": ["tree=1.8"]}, "not package names: 'tree=1.8'"),
    ({"name": []}, "not package names: an empty list"),
    ({"name": ["tree"], "cache_valid_time": -1}, "cache_valid_time must be 0 or more seconds"),
])
def test_bad_input_is_refused(tmp_path, host, options, message):
    result = os_packages(tmp_path, host, **options)
    assert result.get("failed") and message in result["msg"], result
