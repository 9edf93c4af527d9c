"""role_inputs: a role's booleans and numbers converted once from text or native values, a bad
value refused naming the variable and the value; and no role task reads one of those variables
by its public name (where a text "false" would count as true)."""

import pathlib
import re

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.template import Templar, trust_as_template
from ansible.parsing.dataloader import DataLoader

from ansible_collections.sparkflows.mlops.plugins.lookup.role_inputs import LookupModule, typed_options
from utils.tasks import tasks

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
ROLES = ("scorer", "mlflow_host", "sparkflows_mlflow", "mlflow_db")


def lookup(role, **variables):
    plugin = LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    return plugin.run([role], variables=variables)[0]


@pytest.mark.parametrize("text, value", [
    ("true", True), ("false", False), ("yes", True), ("no", False), ("1", True), ("0", False),
    ("True", True), ("off", False), (" false ", False), (True, True), (False, False),
])
def test_text_booleans(text, value):
    assert lookup("sparkflows_mlflow", sparkflows_mlflow_ssh_key_rotate=text)["ssh_key_rotate"] is value


@pytest.mark.parametrize("text, value", [("8081", 8081), (8081, 8081), (" 22 ", 22)])
def test_text_numbers(text, value):
    assert lookup("scorer", scorer_container_port=text)["container_port"] == value


def test_text_floats():
    assert lookup("scorer", scorer_cpus="1.5")["cpus"] == 1.5


def test_values_are_templated_first():
    # As Ansible hands them over: a template from an inventory or playbook is trusted.
    answer = lookup("scorer", scorer_verify=trust_as_template("{{ wanted }}"), wanted="no")
    assert answer["verify"] is False


@pytest.mark.parametrize("role, name, given", [
    ("sparkflows_mlflow", "sparkflows_mlflow_ssh_key_rotate", "maybe"),
    ("scorer", "scorer_container_port", "80a"),
    ("scorer", "scorer_container_port", True),
    ("mlflow_host", "mlflow_host_tracking_port", "5000.5"),
    ("scorer", "scorer_cpus", "two"),
])
def test_a_bad_value_is_refused_with_the_variable_and_the_value(role, name, given):
    with pytest.raises(AnsibleError) as refused:
        lookup(role, **{name: given})
    assert str(refused.value).startswith("%s must be " % name)
    assert repr(given) in str(refused.value)


def test_unset_variables_are_none():
    assert set(lookup("mlflow_host").values()) == {None}


def test_an_unknown_role_is_refused():
    with pytest.raises(AnsibleError, match="no role 'nope'"):
        lookup("nope")


def role_files(role):
    for folder in ("tasks", "handlers", "templates", "vars"):
        yield from sorted((REPO_ROOT / "roles" / role / folder).glob("*"))


def jinja_and_conditions(text):
    """The parts of a role file Ansible evaluates: {{ }}/{% %} and bare conditionals (when:, that:
    items, changed_when/failed_when/until)."""
    parts = re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, re.S)
    for node in tasks(yaml.safe_load(text) if text.startswith("---") else None):
        for key in ("when", "changed_when", "failed_when", "until"):
            parts.extend(str(c) for c in (node.get(key) if isinstance(node.get(key), list) else [node.get(key)]))
        for module_args in node.values():
            if isinstance(module_args, dict) and "that" in module_args:
                that = module_args["that"]
                parts.extend(str(c) for c in (that if isinstance(that, list) else [that]))
    return "\n".join(parts)


@pytest.mark.parametrize("role", ROLES)
def test_roles_read_their_booleans_and_numbers_converted(role):
    """A typed variable read by its public name would be the raw text: `-e x=false` true."""
    names = typed_options(role)
    assert names, role
    readers = []
    for path in role_files(role):
        evaluated = jinja_and_conditions(path.read_text())
        readers += ["%s: %s" % (path.relative_to(REPO_ROOT), name) for name in names
                    if re.search(r"(?<![\w.])%s(?!\w)" % name, evaluated)]
    assert readers == []
