"""Every documented tag selects what the docs say (docs/awx.md, the role READMEs), as
`ansible-playbook --list-tasks --tags TAG` shows it on the lab inventory (nothing connects):
a role's task tag runs the role's validation first and then its own tasks, and no other part;
site.yml's play tags select their play; verify.yml's `verify` and `report` their plays."""

import os
import pathlib
import subprocess

import pytest
import yaml

from utils.playbook import play_roles
from utils.tasks import tasks as every_task

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]


def role_playbooks():
    """{role: the playbook whose plays apply it}, found for every role with tasks (private `_`
    roles left out): the one playbook of playbooks/ with plays listing the role in their `roles`
    or importing it (import_role, a task entry point per play)."""
    found = {}
    roles = sorted(path.parents[1].name for path in (REPO_ROOT / "roles").glob("*/tasks/main.yml")
                   if not path.parents[1].name.startswith("_"))
    for playbook in sorted((REPO_ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(playbook.read_text()) or []:
            for role in play_roles(play):
                if role in roles and playbook.name not in found.get(role, []):
                    found.setdefault(role, []).append(playbook.name)
    assert sorted(found) == roles, "roles no playbook applies: %s" % sorted(set(roles) - set(found))
    assert all(len(playbooks) == 1 for playbooks in found.values()), found
    return dict((role, playbooks[0]) for role, playbooks in found.items())


# The playbook of each role.
ROLES = role_playbooks()


def listed(playbook, tags):
    """{play name: [task names]} that --list-tasks --tags shows."""
    shown = subprocess.run(
        ["ansible-playbook", "-i", str(REPO_ROOT / "inventories" / "lab"), str(REPO_ROOT / "playbooks" / playbook),
         "--list-tasks", "--tags", tags], capture_output=True, text=True, timeout=120, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    plays, play = {}, None
    for line in shown.stdout.splitlines():
        if line.strip().startswith("play #"):
            play = line.split("): ", 1)[1].split("\t")[0]
            plays[play] = []
        elif "\tTAGS: " in line and play and line.startswith("      "):
            plays[play].append(line.strip().split("\tTAGS: ")[0].split(" : ", 1)[-1])
    return plays


def tasks_of(role, items):
    """The task names --list-tasks shows for task items: imports expanded, includes as themselves."""
    names = []
    for task in items or []:
        if "ansible.builtin.import_tasks" in task:
            names += task_names(role, task["ansible.builtin.import_tasks"])
        elif "block" in task:
            names += tasks_of(role, task["block"])
        else:
            names.append(task["name"])
    return names


def task_names(role, file_name):
    return tasks_of(role, yaml.safe_load((REPO_ROOT / "roles" / role / "tasks" / file_name).read_text()))


def tagged_entries(role, file_name, items=None):
    """The tagged task entries of a task file (or of items of it): an untagged import_tasks
    followed into its file, an untagged block into its tasks."""
    entries = []
    for entry in items if items is not None else yaml.safe_load((REPO_ROOT / "roles" / role / "tasks" / file_name).read_text()):
        if "ansible.builtin.import_tasks" in entry and not entry.get("tags"):
            entries += tagged_entries(role, entry["ansible.builtin.import_tasks"])
        elif "block" in entry and not entry.get("tags"):
            entries += tagged_entries(role, file_name, entry["block"])
        else:
            entries.append(entry)
    return entries


def role_parts(role):
    """{tag: [task names]} of the role's task tags (not the role's own tag, not validation's)."""
    parts = {}
    for entry in tagged_entries(role, "main.yml"):
        for tag in entry.get("tags", []):
            if tag != role and not tag.endswith("_validate") and "validate.yml" not in str(entry):
                parts.setdefault(tag, []).extend(tasks_of(role, [entry]))
    return parts


CASES = [(role, tag, names) for role in ROLES for tag, names in role_parts(role).items()]


@pytest.mark.parametrize("role, tag, names", CASES, ids=[case[1] for case in CASES])
def test_a_role_tag_runs_the_validation_then_its_own_tasks_only(role, tag, names):
    tasks = [t for play_tasks in listed(ROLES[role], tag).values() for t in play_tasks
             if not t.startswith("Validating arguments against arg spec")]
    validation = task_names(role, "validate.yml")
    assert tasks[:len(validation)] == validation, tasks
    assert tasks[len(validation):] == names, tasks


@pytest.mark.parametrize("tag, play", [("preflight", "Preflight"), ("mlflow_host", "MLflow host stack"),
                                       ("sparkflows_mlflow", "Sparkflows - MLflow configuration"),
                                       ("scorers", "Standalone Docker scorers")])
def test_site_tags_select_their_play(tag, play):
    # A role's argument validation is Ansible's own, tagged always: left out here.
    plays = dict((name, [t for t in tasks if not t.startswith("Validating arguments against arg spec")])
                 for name, tasks in listed("site.yml", tag).items())
    assert [name for name, tasks in plays.items() if tasks] == [p for p in plays if p.startswith(play)], plays


def test_verify_and_report_tags_of_verify_yml():
    verify = listed("verify.yml", "verify")
    assert [name for name, tasks in verify.items() if tasks] == ["Verify - Sparkflows and its score workflow"]
    report = listed("verify.yml", "report")
    assert [name for name, tasks in report.items() if tasks] == [
        "Report - the Sparkflows server",
        "Report - the Docker scorers", "Report - the scorer balancers", "Report - the MLflow hosts",
        "Report - write JSON and HTML on the controller"]


def test_a_tagged_include_hands_its_tags_to_what_it_runs():
    """An include's own tags select the include alone, never the tasks it runs (Ansible's rule for
    dynamic includes): under --tags the include would run and all it includes be skipped. A tagged
    include hands its tags on with `apply`; one inside a tagged block needs none."""
    unapplied = []
    for path in sorted(REPO_ROOT.glob("roles/*/tasks/*.yml")) + sorted(REPO_ROOT.glob("playbooks/*.yml")):
        for task in every_task(yaml.safe_load(path.read_text())):
            for action in ("ansible.builtin.include_tasks", "ansible.builtin.include_role"):
                args = task.get(action)
                if action in task and task.get("tags") and not (isinstance(args, dict) and (args.get("apply") or {}).get("tags")):
                    unapplied.append("%s: %s" % (path.relative_to(REPO_ROOT), task.get("name")))
    assert unapplied == []
