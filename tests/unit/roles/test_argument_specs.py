"""Every role documents each of its defaults in meta/argument_specs.yml, with the same default.
A private role (`_common`) has no main: one entry point per tasks file, each documenting every
input its tasks read (its required ones without a default, the others with defaults/main.yml's)."""

import pathlib
import re

import pytest
import yaml

from utils.tasks import tasks as every_task

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())
PUBLIC = [role for role in ROLES if not role.name.startswith("_")]
PRIVATE = [role for role in ROLES if role.name.startswith("_")]


def specs_of(role):
    return yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


@pytest.mark.parametrize("role", PUBLIC, ids=[r.name for r in PUBLIC])
def test_argument_specs_match_defaults(role):
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    options = specs_of(role)["main"]["options"]
    assert sorted(options) == sorted(defaults)
    for name, spec in options.items():
        assert name.startswith(role.name + "_"), name
        assert spec.get("description"), name
        assert spec.get("default") == defaults[name], name


def test_the_private_roles_are_found():
    assert "_common" in [role.name for role in PRIVATE]


@pytest.mark.parametrize("role", PRIVATE, ids=[r.name for r in PRIVATE])
def test_a_private_role_has_one_entry_point_per_tasks_file_and_no_main(role):
    specs = specs_of(role)
    assert "main" not in specs and not (role / "tasks" / "main.yml").exists()
    assert sorted(specs) == sorted(path.stem for path in (role / "tasks").glob("*.yml"))


@pytest.mark.parametrize("role", PRIVATE, ids=[r.name for r in PRIVATE])
def test_a_private_roles_defaults_are_its_entry_points_documented_defaults(role):
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    documented = {}
    for entry, spec in specs_of(role).items():
        assert spec.get("short_description", "").startswith("Internal only"), entry
        for name, option in spec["options"].items():
            assert name.startswith(role.name + "_"), (entry, name)
            assert option.get("description") and option.get("type"), (entry, name)
            if option.get("required"):
                assert "default" not in option and name not in defaults, (entry, name)
            else:
                assert option.get("default") == defaults.get(name, "(none)"), (entry, name)
                documented[name] = option["default"]
    assert sorted(documented) == sorted(defaults)


@pytest.mark.parametrize("role", PRIVATE, ids=[r.name for r in PRIVATE])
def test_a_private_entry_point_reads_only_inputs_it_documents(role):
    """Every <role>_ variable a tasks file names is an input of its entry point, or the fact it
    sets for its caller (its internal registers are __<role>_...)."""
    for entry, spec in specs_of(role).items():
        tasks = yaml.safe_load((role / "tasks" / (entry + ".yml")).read_text())
        text = yaml.safe_dump(tasks)
        named = set(re.findall(r"(?<![\w])%s_\w+" % re.escape(role.name), text))
        facts = {key for task in tasks for key in (task.get("ansible.builtin.set_fact") or {})}
        assert facts and all(fact.endswith("_changed") for fact in facts), (entry, facts)
        assert sorted(named - facts - set(spec["options"])) == [], entry


def included_roles(path):
    """(role name, tasks_from, the include's vars) of every include_role/import_role with tasks_from
    in a YAML file."""
    for task in every_task(yaml.safe_load(path.read_text())):
        for action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
            args = task.get(action)
            if isinstance(args, dict) and args.get("tasks_from"):
                yield args["name"].rsplit(".", 1)[-1], args["tasks_from"], task.get("vars") or {}


YAML_FILES = sorted(ROOT.glob("playbooks/*.yml")) + sorted(ROOT.glob("roles/*/tasks/*.yml"))
INCLUDES = [(path, *include) for path in YAML_FILES for include in included_roles(path)]


def test_the_entry_point_includes_are_found():
    found = [(include[1], include[2]) for include in INCLUDES]
    assert ("scorer", "rotation") in found and ("scorer", "rollback") in found


@pytest.mark.parametrize("path, role, entry, variables", INCLUDES,
                         ids=["%s:%s.%s" % (i[0].relative_to(ROOT), i[1], i[2]) for i in INCLUDES])
def test_every_tasks_from_is_a_declared_entry_point_given_only_its_inputs(path, role, entry, variables):
    """Ansible checks a role's variables against meta/argument_specs.yml only for the entry points
    declared there: an undeclared one (a playbook's tasks_from) runs unchecked. What an include
    hands over is one of the entry point's declared inputs, never state it did not declare."""
    specs = specs_of(ROOT / "roles" / role)
    assert entry in specs, "%s includes %s's tasks_from %s, which is no entry point of its meta/argument_specs.yml" % (
        path.relative_to(ROOT), role, entry)
    assert sorted(set(variables) - set(specs[entry].get("options") or {})) == []


def test_no_scorer_tasks_file_hands_state_to_another_through_include_vars():
    """Role scorer's steps called from several places are entry points with declared inputs
    (above); its include_tasks/import_tasks take none: what they run reads the role's variables
    and facts. (Role mlflow_host's failed-upgrade path still starts tracking.yml on the previous
    environment through include vars.)"""
    handed = ["%s: %s" % (path.relative_to(ROOT), task.get("name"))
              for path in ROOT.glob("roles/scorer/tasks/*.yml") for task in every_task(yaml.safe_load(path.read_text()))
              if ("ansible.builtin.include_tasks" in task or "ansible.builtin.import_tasks" in task) and task.get("vars")]
    assert handed == []


INTERNAL = [(role, entry) for role in PUBLIC for entry, spec in specs_of(role).items()
            if spec.get("short_description", "").startswith("Internal only")]


def test_the_internal_entry_points_of_the_public_roles_are_found():
    assert ("scorer", "rotation") in [(role.name, entry) for role, entry in INTERNAL]


@pytest.mark.parametrize("role, entry", INTERNAL, ids=["%s.%s" % (r.name, e) for r, e in INTERNAL])
def test_an_internal_entry_points_inputs_are_its_own_and_all_read(role, entry):
    """A public role's internal step takes only inputs named after it (<role>_<entry>_...), none a
    variable of the role's own (those are main's, with their defaults), and reads each of them."""
    options = specs_of(role)[entry]["options"]
    text = (role / "tasks" / (entry + ".yml")).read_text()
    prefix = "%s_%s_" % (role.name, entry)
    named = set(re.findall(r"(?<![\w])%s\w+" % re.escape(prefix), text))
    assert all(name.startswith(prefix) and "default" not in option for name, option in options.items()), entry
    assert sorted(named) == sorted(options)
