"""One way to install OS packages: every task of the roles and playbooks that installs one uses
sparkflows.mlops.os_packages (which refreshes an untrusted package index), never a package
manager module or command of its own, and each role keeps its packages in tasks/packages.yml
(the entry point the fresh-host regression test runs)."""

import pathlib
import re

import pytest
import yaml

from utils.tasks import tasks

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLES = sorted(p for p in (REPO_ROOT / "roles").iterdir() if p.is_dir())
PACKAGE_MODULES = {prefix + name for prefix in ("", "ansible.builtin.", "ansible.legacy.")
                   for name in ("apt", "package", "dnf", "yum", "apt_repository")}
PACKAGE_MODULES |= {"community.general.apk", "community.general.zypper", "community.general.pacman"}
PACKAGE_COMMAND = re.compile(r"\b(apt-get|apt|dnf|yum|zypper|apk)\s+(install|update)\b")
COMMAND_MODULES = {prefix + name for prefix in ("", "ansible.builtin.") for name in ("command", "shell", "raw")}


def task_files():
    for top in ("roles", "playbooks"):
        for path in sorted((REPO_ROOT / top).rglob("*.yml")):
            if "molecule" in path.parts or path.parent.name in ("defaults", "vars", "meta"):
                continue
            yield path


@pytest.mark.parametrize("path", list(task_files()), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_package_manager_besides_os_packages(path):
    for task in tasks(yaml.safe_load(path.read_text())):
        used = PACKAGE_MODULES.intersection(task)
        assert not used, "%s: task %r installs with %s, not sparkflows.mlops.os_packages" % (
            path, task.get("name"), used.pop())
        for module in COMMAND_MODULES.intersection(task):
            assert not PACKAGE_COMMAND.search(yaml.safe_dump(task[module])), \
                "%s: task %r runs a package manager" % (path, task.get("name"))


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_a_role_installs_its_packages_in_packages_yml_only(role):
    where = [path.name for path in sorted((role / "tasks").glob("*.yml"))
             if any("sparkflows.mlops.os_packages" in task for task in tasks(yaml.safe_load(path.read_text())))]
    assert where in ([], ["packages.yml"]), "%s installs packages in %s" % (role.name, where)
