"""The AWX definitions of awx/ (credential types, controller objects, job templates, the workflow)
are what the awx.awx modules take and what the roles read: each definition passes the argument
spec the module builds in main() (captured, not copied) and AWX's own rules for credential types
and surveys (restated from AWX's source); every variable a credential injects or a survey asks is
one a role documents or a playbook reads (or, by name, a variable of the ssh connection the SSH
known hosts inject, with which every job that connects over SSH checks host keys), a survey's
default is the documented default, and docs/awx.md's job template table says what
awx/job_templates.yml defines.
playbooks/awx_configure.yml is what pairs each definition with its module."""

import functools
import importlib
import pathlib
import re

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_type_bool
from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from utils.awx_definitions import Unsafe, load
from utils.playbook import play_roles
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.sparkflows.mlops.plugins.lookup.sparkflows_connection import VARIABLES as CONNECTION_VARIABLES

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
AWX_DIR = REPO_ROOT / "awx"
CONFIGURE = REPO_ROOT / "playbooks" / "awx_configure.yml"
PRODUCTION = REPO_ROOT / "inventories" / "production"
BUILTIN_CREDENTIAL_TYPES = ("Machine", "Vault")


DEFINITIONS = {name: load(AWX_DIR / (name + ".yml")) for name in ("controller", "credential_types", "job_templates")}
CREDENTIAL_TYPES = DEFINITIONS["credential_types"]["credential_types"]
JOB_TEMPLATES = DEFINITIONS["job_templates"]["job_templates"]
WORKFLOWS = DEFINITIONS["job_templates"]["workflow_job_templates"]
CONTROLLER = DEFINITIONS["controller"]
CREDENTIALS = CONTROLLER["awx_credentials"]
ALL_VARS = dict(kv for document in DEFINITIONS.values() for kv in document.items())


# --- The awx.awx modules' own argument specs ----------------------------------------------------

class _Captured(Exception):
    pass


@functools.lru_cache(maxsize=None)
def module_spec(name):
    """(argument_spec, constructor keywords) of awx.awx's module name, as its main() builds them
    for ControllerAPIModule (stopped there: nothing connects)."""
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules." + name)

    class Recorder:
        def __init__(self, argument_spec=None, **kwargs):
            raise _Captured(argument_spec, kwargs)

    original = module.ControllerAPIModule
    module.ControllerAPIModule = Recorder
    try:
        module.main()
    except _Captured as captured:
        return captured.args
    finally:
        module.ControllerAPIModule = original
    raise AssertionError("awx.awx.%s built no ControllerAPIModule" % name)


VALIDATOR_KEYWORDS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


def spec_errors(spec, params, **kwargs):
    validator = ArgumentSpecValidator(spec, **{k: v for k, v in kwargs.items() if k in VALIDATOR_KEYWORDS})
    return [str(error) for error in validator.validate(params).errors]


def module_errors(name, params):
    spec, kwargs = module_spec(name)
    return spec_errors(spec, params, **kwargs)


def documented_spec(options):
    """An argument spec from a module's DOCUMENTATION options (for the suboptions of a list of
    dicts that the module's argument spec leaves unchecked, such as workflow_nodes)."""
    spec = {}
    for name, doc in options.items():
        entry = {key: doc[key] for key in ("type", "elements", "choices", "required", "aliases") if key in doc}
        if "suboptions" in doc:
            entry["options"] = documented_spec(doc["suboptions"])
        spec[name] = entry
    return spec


def workflow_node_spec():
    module = importlib.import_module("ansible_collections.awx.awx.plugins.modules.workflow_job_template")
    return documented_spec(yaml.safe_load(module.DOCUMENTATION)["options"]["workflow_nodes"]["suboptions"])


# --- playbooks/awx_configure.yml pairs each definition with its module ---------------------------

DEFINITION_REFERENCE = re.compile(r"\b(item|awx_[a-z_]+)\.([a-z_]+)\b")
# An option given a definition's key as it is: "{{ item.key }}", "{{ item.key | default(...) }}".
PASSED_AS_IS = re.compile(r"\{\{\s*(?:item|awx_[a-z_]+)\.([a-z_]+)(?:\s*\|\s*default\([^()]*\))?\s*\}\}")


def configure_tasks():
    """[(module, definitions var, is a loop, {arg: key of the definition it passes})] of the
    playbook's awx.awx tasks."""
    found = []
    for task in yaml.safe_load(CONFIGURE.read_text())[0]["tasks"]:
        module = next((key for key in task if key.startswith("awx.awx.")), None)
        if not module:
            continue
        loop = re.fullmatch(r"\{\{\s*([a-z_]+)\s*\}\}", str(task.get("loop", "")))
        passed, sources = {}, set()
        for arg, value in task[module].items():
            for source, key in DEFINITION_REFERENCE.findall(str(value)):
                if source == "item" or source in ALL_VARS:
                    sources.add(loop.group(1) if source == "item" else source)
            as_is = PASSED_AS_IS.fullmatch(str(value))
            if as_is:
                passed[arg] = as_is.group(1)
        assert len(sources) == 1, (module, sources)
        found.append((module.split(".")[-1], sources.pop(), bool(loop), passed))
    return found


CONFIGURE_TASKS = configure_tasks()


def definitions_of(source, is_loop):
    return ALL_VARS[source] if is_loop else [ALL_VARS[source]]


PAIRS = [(module, definition) for module, source, is_loop, _spec in CONFIGURE_TASKS
         for definition in definitions_of(source, is_loop)]


def test_every_definition_of_awx_is_created_by_the_playbook():
    assert sorted(task[1] for task in CONFIGURE_TASKS) == sorted(ALL_VARS)


@pytest.mark.parametrize("module, source, is_loop, passed", CONFIGURE_TASKS, ids=[t[0] for t in CONFIGURE_TASKS])
def test_the_playbook_passes_each_key_of_a_definition_to_the_option_of_its_name(module, source, is_loop, passed):
    assert all(arg == key for arg, key in passed.items()), passed
    for definition in definitions_of(source, is_loop):
        assert not set(definition) - set(passed), "%s: keys the playbook drops: %s" % (
            definition.get("name"), sorted(set(definition) - set(passed)))


@pytest.mark.parametrize("module, definition", PAIRS, ids=["%s-%s" % (m, d["name"]) for m, d in PAIRS])
def test_a_definition_passes_its_modules_argument_spec(module, definition):
    assert module_errors(module, definition) == []


@pytest.mark.parametrize("module, params, error", [
    ("job_template", {"name": "x", "playbok": "playbooks/site.yml"}, "playbok"),
    ("job_template", {"name": "x", "job_type": "deploy"}, "job_type"),
    ("job_template", {"name": "x", "verbosity": 7}, "verbosity"),
    ("credential_type", {"name": "x", "kind": "cloud", "injector": {}}, "injector"),
    ("inventory", {"name": "x"}, "organization"),
])
def test_a_bad_definition_fails_the_argument_spec(module, params, error):
    errors = module_errors(module, params)
    assert errors and error in " ".join(errors), errors


WORKFLOW_NODES = [(workflow["name"], node) for workflow in WORKFLOWS for node in workflow["workflow_nodes"]]


@pytest.mark.parametrize("workflow, node", WORKFLOW_NODES, ids=[pair[1]["identifier"] for pair in WORKFLOW_NODES])
def test_a_workflow_node_passes_the_documented_node_options(workflow, node):
    assert spec_errors(workflow_node_spec(), node) == []


def test_a_bad_workflow_node_fails():
    errors = spec_errors(workflow_node_spec(), {"identifier": "a", "unified_job_template": {"nme": "x"},
                                                "related": {"succes_nodes": []}})
    assert any("nme" in e for e in errors) and any("succes_nodes" in e for e in errors), errors


# --- AWX's rules of a custom credential type (awx/main/fields.py: CredentialTypeInputField,
# CredentialTypeInjectorField; awx/main/constants.py: ENV_BLOCKLIST) -----------------------------

FIELD_KEYS = {"id", "label", "type", "format", "choices", "help_text", "multiline", "secret", "ask_at_runtime", "default"}
ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                 "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                 "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                 "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"}
SECRET_LOOKING = re.compile(r"password|passphrase|token|key|secret")


class _FileNames:
    pass


def credential_type_problems(credential_type):
    """What AWX refuses in a custom credential type's kind, inputs and injectors, and what it
    would inject badly (a secret-looking field not secret)."""
    problems = []
    if credential_type.get("kind") not in ("cloud", "net"):
        problems.append("a custom type's kind is cloud or net, not %r" % credential_type.get("kind"))
    inputs, injectors = credential_type.get("inputs") or {}, credential_type.get("injectors") or {}
    problems += ["inputs key %r" % key for key in set(inputs) - {"fields", "required"}]
    ids = []
    for field in inputs.get("fields", []):
        name = field.get("id")
        problems += ["field %s: unknown key %r" % (name, key) for key in set(field) - FIELD_KEYS]
        if not (isinstance(name, str) and re.fullmatch(r"[a-zA-Z_]+[a-zA-Z0-9_]*", name)) or name == "tower":
            problems.append("field id %r" % name)
        if name in ids:
            problems.append("field %s twice" % name)
        ids.append(name)
        if not isinstance(field.get("label"), str):
            problems.append("field %s has no label" % name)
        kind = field.get("type", "string")
        if kind not in ("string", "boolean"):
            problems.append("field %s: type %r" % (name, kind))
        if field.get("format") not in (None, "ssh_private_key", "url"):
            problems.append("field %s: format %r" % (name, field.get("format")))
        expected = {"string": str, "boolean": bool}.get(kind)
        if "default" in field and (expected is None or not isinstance(field["default"], expected)):
            problems.append("field %s: default %r is not a %s" % (name, field["default"], kind))
        problems += ["field %s: %s only for strings" % (name, key)
                     for key in ("choices", "multiline", "format", "secret") if key in field and kind != "string"]
        if SECRET_LOOKING.search(name or "") and field.get("secret") is not True:
            problems.append("field %s looks secret but is not secret: true" % name)
    problems += ["required %r is no field" % name for name in inputs.get("required", []) if name not in ids]

    problems += ["injectors key %r" % key for key in set(injectors) - {"file", "env", "extra_vars"}]
    namespace = dict((name, "EXAMPLE") for name in ids)
    files = list(injectors.get("file", {}))
    tower = type("Tower", (), {})()
    if "template" in files:
        tower.filename = "EXAMPLE_FILENAME"
        if len(files) > 1:
            problems.append("the single-file template beside others")
    elif files:
        tower.filename = _FileNames()
        for label in files:
            if not re.fullmatch(r"template\.[a-zA-Z_]+[a-zA-Z0-9_]*", label):
                problems.append("file injector %r" % label)
            else:
                setattr(tower.filename, label.split(".", 1)[1], "EXAMPLE_FILENAME")
    namespace["tower"] = tower

    def rendered(where, template):
        if not isinstance(template, str):
            problems.append("%s: %r is no text" % (where, template))
            return
        try:
            ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)
        except (UndefinedError, SecurityError, TemplateSyntaxError) as error:
            problems.append("%s: %s" % (where, error))

    for label, template in injectors.get("file", {}).items():
        rendered("file " + label, template)
    for name, template in injectors.get("env", {}).items():
        if not re.fullmatch(r"[a-zA-Z_]+[a-zA-Z0-9_]*", name) or name.startswith("ANSIBLE_") or name in ENV_BLOCKLIST:
            problems.append("env %s is not allowed" % name)
        rendered("env " + name, template)

    def extra_vars(where, node):
        if isinstance(node, dict):
            for key, value in node.items():
                if not re.fullmatch(r"[a-zA-Z_{}]+[a-zA-Z0-9_{}]*", key):
                    problems.append("extra var %r" % key)
                extra_vars(key if where is None else "%s.%s" % (where, key), value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                extra_vars("%s[%d]" % (where, index), value)
        else:
            rendered("extra_vars " + where, node)

    extra_vars(None, injectors.get("extra_vars", {}))
    return problems


@pytest.mark.parametrize("credential_type", CREDENTIAL_TYPES, ids=[t["name"] for t in CREDENTIAL_TYPES])
def test_a_credential_type_keeps_awxs_rules(credential_type):
    assert credential_type_problems(credential_type) == []


@pytest.mark.parametrize("change, problem", [
    ({"injectors": {"env": {"ANSIBLE_VAULT_PASSWORD_FILE": "{{ token }}"}}}, "env ANSIBLE_VAULT_PASSWORD_FILE"),
    ({"injectors": {"env": {"PATH": "{{ token }}"}}}, "env PATH"),
    ({"injectors": {"extra_vars": {"v": "{{ tokn }}"}}}, "tokn"),
    ({"injectors": {"extra_vars": {"v": "{{ tower.filename }}"}}}, "extra_vars v"),
    ({"inputs": {"fields": [{"id": "token", "label": "Token"}]}}, "looks secret"),
    ({"inputs": {"fields": [{"id": "token", "label": "T", "secret": True, "secrets": True}]}}, "unknown key"),
    ({"kind": "ssh"}, "kind"),
])
def test_a_credential_type_breaking_a_rule_is_refused(change, problem):
    credential_type = dict({"name": "x", "kind": "cloud", "inputs": {"fields": [
        {"id": "token", "label": "Token", "secret": True}]}, "injectors": {}}, **change)
    assert any(problem in p for p in credential_type_problems(credential_type)), credential_type_problems(credential_type)


# --- What the roles and playbooks read ------------------------------------------------------------

def role_options():
    """{variable: its documented option} of every entry point of every public role."""
    options = {}
    for path in sorted((REPO_ROOT / "roles").glob("[!_]*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(path.read_text())["argument_specs"].values():
            options.update(entry.get("options") or {})
    return options


ROLE_OPTIONS = role_options()
CONDITIONALS = ("when", "that", "failed_when", "changed_when", "until")
PLAYBOOKS = sorted((REPO_ROOT / "playbooks").glob("*.yml"))


def template_names(template):
    """The variables a Jinja template reads (parsed only: Ansible's filters need not exist here)."""
    tree = ImmutableSandboxedEnvironment().parse(template)
    names = list(tree.find_all(nodes.Name))
    return {n.name for n in names if n.ctx == "load"} - {n.name for n in names if n.ctx == "store"}


def jinja_names(node, key=None):
    """Variables the Jinja of a YAML node reads (conditionals are bare expressions)."""
    if isinstance(node, dict):
        return set().union(*[jinja_names(value, name) for name, value in node.items()])
    if isinstance(node, list):
        return set().union(*[jinja_names(value, key) for value in node])
    if isinstance(node, str) and (key in CONDITIONALS or "{{" in node or "{%" in node):
        return template_names(node if "{{" in node or "{%" in node else "{{ %s }}" % node)
    return set()


def playbook_reads(paths=PLAYBOOKS):
    return set().union(*[jinja_names(yaml.safe_load(path.read_text())) for path in paths])


# Variables a role documents, a playbook reads, or the Sparkflows connection lookup reads.
KNOWN_VARIABLES = set(ROLE_OPTIONS) | playbook_reads() | set(CONNECTION_VARIABLES.values())

# The one exception: variables of Ansible's SSH connection a credential type may inject (SSH known
# hosts: the job's known_hosts file, and host key checking back on where AWX turns it off).
SSH_CONNECTION_VARIABLES = {"ansible_ssh_common_args", "ansible_ssh_host_key_checking"}


def ssh_plugin_variables():
    """{option: [its variables]} the ssh connection plugin documents."""
    from ansible.plugins.connection import ssh
    options = yaml.safe_load(ssh.DOCUMENTATION)["options"]
    return {name: [v["name"] for v in option.get("vars", [])] for name, option in options.items()}


def test_the_ssh_connection_variables_are_the_ssh_plugins():
    documented = ssh_plugin_variables()
    assert SSH_CONNECTION_VARIABLES <= {name for names in documented.values() for name in names}
    assert not SSH_CONNECTION_VARIABLES & KNOWN_VARIABLES


def test_the_reader_of_playbooks_finds_what_they_read():
    # In a play keyword, a task argument, a conditional and a block's vars.
    assert {"scorer_serial", "verify_score_workflow", "report_fail_on_unhealthy", "report_dir"} <= playbook_reads()
    assert template_names("{% for x in xs %}{{ x | a.b.c(y) }}{% endfor %}") == {"xs", "y"}


def injected(credential_type):
    return credential_type["injectors"].get("extra_vars", {})


INJECTED = {name: t["name"] for t in CREDENTIAL_TYPES for name in injected(t)}


@pytest.mark.parametrize("credential_type", CREDENTIAL_TYPES, ids=[t["name"] for t in CREDENTIAL_TYPES])
def test_a_credential_type_injects_only_variables_the_roles_read(credential_type):
    assert sorted(set(injected(credential_type)) - KNOWN_VARIABLES - SSH_CONNECTION_VARIABLES) == []
    assert not [name for name in credential_type["injectors"].get("env", {}) if name.startswith("ANSIBLE_")]


@pytest.mark.parametrize("credential_type", CREDENTIAL_TYPES, ids=[t["name"] for t in CREDENTIAL_TYPES])
def test_a_credential_type_injects_a_list_where_the_role_takes_a_list(credential_type):
    # AWX renders each text of an injector: a role's list (scorer_lb_api_keys) must be injected as a
    # list of texts, or the role iterates the characters of one text.
    for name, value in injected(credential_type).items():
        kind = ROLE_OPTIONS.get(name, {}).get("type", "str")
        assert isinstance(value, list) == (kind == "list"), (name, kind)


def awx_injects(credential_type, inputs):
    """The extra variables AWX injects for a credential of the type with inputs, as its
    CredentialType.inject_credential renders them (awx/main/models/credential/__init__.py): a field
    left empty is undefined (rendered empty), each file is written and named in tower.filename (the
    single file of `template` is tower.filename itself)."""
    namespace = {name: value for name, value in inputs.items() if value != ""}
    files = credential_type["injectors"].get("file", {})
    tower = type("Tower", (), {})()
    tower.filename = _FileNames()
    for label in files:
        if label == "template":
            tower.filename = "/runner/env/tmp-template"
        else:
            setattr(tower.filename, label.split(".", 1)[1], "/runner/env/tmp-" + label)
    namespace["tower"] = tower
    environment = ImmutableSandboxedEnvironment()

    def build(node):
        if isinstance(node, dict):
            return {key: build(value) for key, value in node.items()}
        if isinstance(node, list):
            return [build(value) for value in node]
        return environment.from_string(node).render(**namespace)

    return build(credential_type["injectors"].get("extra_vars", {}))


CREDENTIAL_TYPE = dict((t["name"], t) for t in CREDENTIAL_TYPES)


@pytest.mark.parametrize("credential_type", CREDENTIAL_TYPES, ids=[t["name"] for t in CREDENTIAL_TYPES])
def test_a_credential_with_its_required_inputs_only_injects_the_roles_defaults_for_the_rest(credential_type):
    required = credential_type["inputs"].get("required", [])
    injects = awx_injects(credential_type, dict((name, "given-%s-0123456789" % name) for name in required))
    for name, value in injects.items():
        if name in SSH_CONNECTION_VARIABLES:
            continue  # no role's: test_the_known_hosts_are_checked_in_every_job
        if not any(field in str(credential_type["injectors"]["extra_vars"][name]) for field in required):
            assert value == ROLE_OPTIONS.get(name, {}).get("default", ""), name


KNOWN_HOSTS_TYPE = next(t for t in CREDENTIAL_TYPES if SSH_CONNECTION_VARIABLES & set(injected(t)))


def test_the_known_hosts_are_a_file_checked_with_strict_host_key_checking():
    assert [t["name"] for t in CREDENTIAL_TYPES if SSH_CONNECTION_VARIABLES & set(injected(t))] == ["SSH known hosts"]
    field = KNOWN_HOSTS_TYPE["inputs"]["fields"]
    assert [(f["id"], f.get("multiline"), f.get("secret", False)) for f in field] == [("known_hosts", True, False)]
    assert KNOWN_HOSTS_TYPE["inputs"]["required"] == ["known_hosts"]
    assert KNOWN_HOSTS_TYPE["injectors"]["file"] == {"template": "{{ known_hosts }}"}
    assert awx_injects(KNOWN_HOSTS_TYPE, {"known_hosts": "scorer-01.example.net ssh-ed25519 AAAA"}) == {
        "ansible_ssh_common_args": "-o UserKnownHostsFile=/runner/env/tmp-template -o StrictHostKeyChecking=yes",
        "ansible_ssh_host_key_checking": "true"}


@pytest.mark.parametrize("awx_host_key_checking", ["False", None], ids=["awx-environment", "no-environment"])
@pytest.mark.parametrize("inventory", [{}, {"ansible_host_key_checking": "false"},
                                       {"ansible_ssh_host_key_checking": "false"},
                                       {"ansible_ssh_common_args": "-o StrictHostKeyChecking=no"}],
                         ids=["inventory-none", "inventory-host_key_checking", "inventory-ssh_host_key_checking",
                              "inventory-ssh_common_args"])
def test_the_known_hosts_are_checked_in_every_job(monkeypatch, tmp_path, awx_host_key_checking, inventory):
    # AWX exports ANSIBLE_HOST_KEY_CHECKING=False to every job (its settings' ANSIBLE_* are the
    # job's environment); the ssh plugin then adds -o StrictHostKeyChecking=no before
    # ssh_common_args, and OpenSSH takes the first value of an option. Whatever the inventory
    # sets (an extra variable replaces the same name), the injected variables give a command
    # whose one StrictHostKeyChecking is yes, with the injected known_hosts.
    from ansible.playbook.play_context import PlayContext
    from ansible.plugins.loader import connection_loader

    if awx_host_key_checking is None:
        monkeypatch.delenv("ANSIBLE_HOST_KEY_CHECKING", raising=False)
    else:
        monkeypatch.setenv("ANSIBLE_HOST_KEY_CHECKING", awx_host_key_checking)
    connection = connection_loader.get("ssh", PlayContext(), None)
    injects = awx_injects(KNOWN_HOSTS_TYPE, {"known_hosts": "scorer-01.example.net ssh-ed25519 AAAA"})
    connection.set_options(var_options=dict(inventory, ansible_control_path_dir=str(tmp_path), **injects))
    command = [arg.decode() for arg in connection._build_command("ssh", "ssh", "scorer-01.example.net")]
    options = [command[i + 1] for i, arg in enumerate(command[:-1]) if arg == "-o"]
    assert [o for o in options if o.startswith("StrictHostKeyChecking=")] == ["StrictHostKeyChecking=yes"]
    assert [o for o in options if o.startswith("UserKnownHostsFile=")] == ["UserKnownHostsFile=/runner/env/tmp-template"]


def test_the_scoring_endpoint_injects_one_key_or_two():
    endpoint = CREDENTIAL_TYPE["Scoring endpoint"]
    key, other = "k" * 16, "o" * 16
    assert awx_injects(endpoint, {"api_key": key})["scorer_lb_api_keys"] == [key, key]
    assert awx_injects(endpoint, {"api_key": key, "api_key_next": other})["scorer_lb_api_keys"] == [key, other]
    assert awx_injects(endpoint, {"api_key": key, "api_key_next": ""})["scorer_lb_api_keys"] == [key, key]


def test_the_registry_ca_is_a_file_only_when_given():
    registry = CREDENTIAL_TYPE["Scorer image registry"]
    login = {"username": "u", "password": "p"}
    assert awx_injects(registry, login)["scorer_registry_ca_path"] == ""
    assert awx_injects(registry, dict(login, ca_certificate="PEM"))["scorer_registry_ca_path"] == "/runner/env/tmp-template.ca"


def test_every_template_of_a_credential_type_is_left_to_awx():
    # Ansible loads awx/ in playbooks/awx_configure.yml: an injector's {{ field }} it templated
    # would fail (no such variable) or reach AWX rendered. Elsewhere in awx/, Jinja is Ansible's
    # and reads only the playbook's own awx_* settings.
    def strings(node, unsafe=False):
        unsafe = unsafe or isinstance(node, Unsafe)
        if isinstance(node, dict):
            for value in node.values():
                yield from strings(value, unsafe)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value, unsafe)
        elif isinstance(node, str):
            yield node, unsafe

    for credential_type in CREDENTIAL_TYPES:
        assert all(unsafe for text, unsafe in strings(credential_type["injectors"]))
    for document in DEFINITIONS.values():
        for text, unsafe in strings(document):
            if "{{" in text and not unsafe:
                assert all(name.startswith("awx_") for name in template_names(text)), text


def test_the_playbook_documents_every_setting_it_reads():
    text = CONFIGURE.read_text()
    header = text[:text.index("- name:")]
    settings = {name for name in playbook_reads([CONFIGURE]) if name.startswith("awx_") and name not in ALL_VARS}
    assert settings and not [name for name in settings if "#   %s " % name not in header]


def production_secrets():
    """{variable: value} of inventories/production's group_vars that come from Ansible Vault."""
    found = {}
    for path in sorted((PRODUCTION / "group_vars").glob("*.yml")):
        for name, value in (yaml.safe_load(path.read_text()) or {}).items():
            if "vault_" in str(value):
                found[name] = value
    return found


def test_the_production_inventory_sets_no_ssh_option_the_known_hosts_credential_replaces():
    # An extra variable wins: an inventory's ansible_ssh_common_args (a ProxyJump) would be dropped
    # in every job, silently. docs/awx.md section 3 says where such options go.
    # Each option's every name: ansible_host_key_checking too.
    related = {name for names in ssh_plugin_variables().values() if SSH_CONNECTION_VARIABLES & set(names)
               for name in names}
    assert {"ansible_host_key_checking", "ansible_ssh_host_key_checking", "ansible_ssh_common_args"} <= related
    assert sorted(related & production_variables()) == []


def test_the_credential_types_replace_every_vault_secret_of_the_production_inventory():
    missing = sorted(set(production_secrets()) - set(INJECTED))
    assert missing == [], "secrets of inventories/production no credential type injects: %s" % missing


# --- Job templates, their surveys and the workflow ------------------------------------------------

def default_value(arguments):
    """X of `default(X)` or `default(X, true)`, read as Jinja reads it (true is a boolean)."""
    tree = ImmutableSandboxedEnvironment().parse("{{ variable | default(%s) }}" % arguments)
    return next(tree.find_all(nodes.Filter)).args[0].as_const()


def playbook_defaults(variable):
    """The defaults the playbooks give variable (`variable | default(X)`, `default(X, true)`)."""
    pattern = re.compile(r"\b%s\s*\|\s*default\(([^()]*)\)" % re.escape(variable))
    return {default_value(found) for path in PLAYBOOKS for found in pattern.findall(path.read_text())}


def test_the_reader_of_defaults_takes_the_first_argument():
    assert [default_value(a) for a in ("600", "''", "'', true", "'x'")] == [600, "", "", "x"]


def documented_default(variable):
    """(default, type) of variable: its role's, else the one default the playbooks give it."""
    if variable in ROLE_OPTIONS:
        option = ROLE_OPTIONS[variable]
        return option.get("default"), option.get("type", "str")
    defaults = playbook_defaults(variable)
    assert len(defaults) == 1, "%s: defaults in the playbooks: %s" % (variable, defaults)
    value = defaults.pop()
    return value, type(value).__name__


def survey_default(question, kind):
    """A question's default as the role receives it (a choice of true/false is a boolean)."""
    default = question.get("default")
    if question["type"] == "multiselect":
        return [line for line in (default or "").splitlines() if line.strip()]
    if question["type"] == "multiplechoice" and kind == "bool":
        return check_type_bool(default)
    return default


SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                "integer": int, "float": (float, int)}
QUESTION_KEYS = {"question_name", "question_description", "variable", "type", "choices", "default", "required",
                 "min", "max", "new_question"}


def survey_problems(survey):
    """What AWX refuses in a survey spec (awx/api/views/__init__.py, JobTemplateSurveySpec
    ._validate_spec_data), a default it would not apply at launch (awx/main/models/mixins.py,
    _survey_element_validation), and keys it ignores (a typo would go unnoticed)."""
    problems = ["survey %s is missing or no %s" % (field, kind.__name__) for field, kind
                in (("name", str), ("description", str), ("spec", list)) if not isinstance(survey.get(field), kind)]
    if problems or not survey["spec"]:
        return problems or ["the survey has no question"]
    variables = set()
    for index, question in enumerate(survey["spec"]):
        where = "question %d (%s)" % (index, question.get("variable"))
        problems += ["%s: unknown key %r" % (where, key) for key in set(question) - QUESTION_KEYS]
        for field in ("type", "question_name", "variable", "required"):
            if not isinstance(question.get(field), bool if field == "required" else str):
                problems.append("%s: %s missing or of the wrong type" % (where, field))
        if question.get("variable") in variables:
            problems.append("%s: variable twice" % where)
        variables.add(question.get("variable"))
        kind = question.get("type")
        if kind not in SURVEY_TYPES:
            problems.append("%s: type %r" % (where, kind))
            continue
        default = question.get("default")
        if "default" in question and default != "" and not isinstance(default, SURVEY_TYPES[kind]):
            problems.append("%s: default %r is no %s" % (where, default, kind))
        problems += ["%s: %s must be a whole number" % (where, key)
                     for key in ("min", "max") if key in question and not isinstance(question[key], int)]
        if kind in ("multiplechoice", "multiselect"):
            choices = question.get("choices")
            if not choices:
                problems.append("%s: no choices" % where)
                continue
            defaults = [line for line in str(default or "").splitlines() if line.strip()]
            if kind == "multiplechoice" and len(defaults) > 1:
                problems.append("%s: more than one default" % where)
            problems += ["%s: default %r is no choice" % (where, d) for d in defaults if d not in choices]
        elif default is not None:
            size = len(default) if isinstance(default, str) else default
            if "min" in question and size < question["min"] or "max" in question and size > question["max"]:
                problems.append("%s: default %r outside min/max (AWX would not apply it)" % (where, default))
    return problems


SURVEYED = [t for t in JOB_TEMPLATES if t.get("survey_enabled")]
QUESTIONS = [(t["name"], q) for t in SURVEYED for q in t["survey_spec"]["spec"]]


def test_a_survey_is_given_exactly_when_enabled():
    assert [t["name"] for t in JOB_TEMPLATES if t.get("survey_spec")] == [t["name"] for t in SURVEYED]


@pytest.mark.parametrize("template", SURVEYED, ids=[t["name"] for t in SURVEYED])
def test_a_survey_keeps_awxs_rules(template):
    assert survey_problems(template["survey_spec"]) == []


@pytest.mark.parametrize("question, problem", [
    ({"type": "multiplechoice", "choices": ["false", "true"], "default": "yes"}, "no choice"),
    ({"type": "integer", "default": "1"}, "is no integer"),
    ({"type": "boolean", "default": "true"}, "type 'boolean'"),
    ({"type": "text", "min": 1, "default": ""}, "outside min/max"),
    ({"type": "text", "defualt": "x"}, "unknown key"),
])
def test_a_survey_breaking_a_rule_is_refused(question, problem):
    asked = dict({"question_name": "q", "variable": "v", "required": False}, **question)
    survey = {"name": "s", "description": "", "spec": [asked]}
    assert any(problem in p for p in survey_problems(survey)), survey_problems(survey)


@pytest.mark.parametrize("template, question", QUESTIONS, ids=["%s-%s" % (t, q["variable"]) for t, q in QUESTIONS])
def test_a_survey_asks_a_variable_the_roles_read_with_its_documented_default(template, question):
    assert question["variable"] in KNOWN_VARIABLES
    default, kind = documented_default(question["variable"])
    assert survey_default(question, kind) == default
    if question["type"] == "multiplechoice" and kind == "bool":
        assert sorted(question["choices"]) == ["false", "true"]


def production_variables():
    """Every variable inventories/production sets (group_vars, and vars in hosts.yml)."""
    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
    return {key for path in PRODUCTION.rglob("*.yml") for key in keys(yaml.safe_load(path.read_text()))}


@pytest.mark.parametrize("template, question", QUESTIONS, ids=["%s-%s" % (t, q["variable"]) for t, q in QUESTIONS])
def test_a_survey_never_asks_what_the_inventory_holds(template, question):
    # AWX sends each question's default unless changed: as an extra variable, it would replace the
    # inventory's value on every launch.
    assert question["variable"] not in production_variables()


def test_the_rollback_offers_the_models_of_the_inventory():
    question = next(pair[1] for pair in QUESTIONS if pair[1]["variable"] == "scorer_rollback_models")
    models = yaml.safe_load((PRODUCTION / "group_vars" / "scorers.yml").read_text())["scorer_models"]
    assert question["choices"] == [model["name"] for model in models]


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=[t["name"] for t in JOB_TEMPLATES])
def test_a_job_template_runs_a_playbook_of_the_project_with_the_definitions_objects(template):
    assert (REPO_ROOT / template["playbook"]).is_file() and template["playbook"].startswith("playbooks/")
    assert template["project"] == CONTROLLER["awx_project"]["name"]
    assert template["inventory"] == CONTROLLER["awx_inventory"]["name"]
    assert template["execution_environment"] == CONTROLLER["awx_execution_environment"]["name"]
    assert template["organization"] == CONTROLLER["awx_organization"]["name"]
    # The plays become root themselves; a job-wide --become would sudo the report's localhost tasks.
    assert template["become_enabled"] is False


def test_the_credentials_are_of_the_defined_types_one_of_each():
    types = [c["credential_type"] for c in CREDENTIALS]
    assert sorted(types) == sorted([t["name"] for t in CREDENTIAL_TYPES] + list(BUILTIN_CREDENTIAL_TYPES))


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=[t["name"] for t in JOB_TEMPLATES])
def test_a_job_template_names_defined_credentials_at_most_one_of_a_type(template):
    types = dict((c["name"], c["credential_type"]) for c in CREDENTIALS)
    assert [name for name in template["credentials"] if name not in types] == []
    named = [types[name] for name in template["credentials"]]
    assert len(named) == len(set(named)), named
    assert "Machine" in named


def imported(play):
    """The file of the collection playbook a play imports (sparkflows.mlops.NAME: playbooks/NAME.yml)."""
    name = play["ansible.builtin.import_playbook"]
    assert name.startswith("sparkflows.mlops."), name
    return REPO_ROOT / "playbooks" / (name[len("sparkflows.mlops."):] + ".yml")


def remote_plays(playbook):
    """The plays of playbook, through the playbooks it imports, that connect to inventory hosts
    (not localhost, not connection: local)."""
    plays = []
    for play in yaml.safe_load(playbook.read_text()):
        if "ansible.builtin.import_playbook" in play:
            plays += remote_plays(imported(play))
        elif play.get("hosts") not in ("localhost", "127.0.0.1") and play.get("connection", "ssh") == "ssh":
            plays.append(play["name"])
    return plays


def test_the_reader_of_remote_plays_tells_them_from_the_controller():
    assert remote_plays(REPO_ROOT / "playbooks" / "preflight.yml")
    assert remote_plays(CONFIGURE) == []


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=[t["name"] for t in JOB_TEMPLATES])
def test_a_job_template_connecting_over_ssh_checks_the_hosts_keys(template):
    types = dict((c["name"], c["credential_type"]) for c in CREDENTIALS)
    if remote_plays(REPO_ROOT / template["playbook"]):
        assert KNOWN_HOSTS_TYPE["name"] in [types[name] for name in template["credentials"]]


def applied(playbook, seen=None):
    """(roles the playbook applies whole, whether it or they use the Sparkflows connection),
    through the playbooks it imports."""
    seen = set() if seen is None else seen
    roles, connection = set(), "sparkflows.mlops.sparkflows_connection" in playbook.read_text()
    for play in yaml.safe_load(playbook.read_text()):
        if "ansible.builtin.import_playbook" in play and play["ansible.builtin.import_playbook"] not in seen:
            seen.add(play["ansible.builtin.import_playbook"])
            more, uses = applied(imported(play), seen)
            roles, connection = roles | more, connection or uses
        for role in play_roles(play):
            roles.add(role)
            connection = connection or any("sparkflows_connection" in p.read_text()
                                           for p in (REPO_ROOT / "roles" / role).glob("*/*.yml"))
    return roles, connection


OWNERS = dict((name, path.parts[-3]) for path in sorted((REPO_ROOT / "roles").glob("[!_]*/meta/argument_specs.yml"))
              for name in yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"])


@pytest.mark.parametrize("template", JOB_TEMPLATES, ids=[t["name"] for t in JOB_TEMPLATES])
def test_a_job_templates_credentials_give_the_secrets_its_roles_read(template):
    roles, connection = applied(REPO_ROOT / template["playbook"])
    types = dict((c["name"], c["credential_type"]) for c in CREDENTIALS)
    given = {name for t in CREDENTIAL_TYPES if t["name"] in {types[c] for c in template["credentials"]}
             for name in injected(t)}
    needed = {name for name in production_secrets()
              if OWNERS.get(name) in roles or (connection and name in CONNECTION_VARIABLES.values())}
    assert sorted(needed - given) == []


def test_the_secrets_reader_finds_what_site_yml_needs():
    roles, connection = applied(REPO_ROOT / "playbooks" / "site.yml")
    assert roles == {"mlflow_db", "mlflow_host", "sparkflows_mlflow", "scorer_lb", "scorer"} and connection


def test_the_workflow_runs_site_yml_in_order_then_verify():
    names = dict((t["name"], t["playbook"]) for t in JOB_TEMPLATES)
    for workflow in WORKFLOWS:
        nodes = dict((node["identifier"], node) for node in workflow["workflow_nodes"])
        assert len(nodes) == len(workflow["workflow_nodes"])
        after = dict((identifier, [n["identifier"] for n in (node.get("related") or {}).get("success_nodes", [])])
                     for identifier, node in nodes.items())
        roots = set(nodes) - {n for targets in after.values() for n in targets}
        assert len(roots) == 1 and all(len(targets) <= 1 and set(targets) <= set(nodes) for targets in after.values())
        chain = [roots.pop()]
        while after[chain[-1]]:
            chain.append(after[chain[-1]][0])
        assert sorted(chain) == sorted(nodes), "nodes off the chain"
        templates = [nodes[identifier]["unified_job_template"] for identifier in chain]
        assert all(t["type"] == "job_template" and t["name"] in names for t in templates), templates
        site = [imported(play).relative_to(REPO_ROOT).as_posix()
                for play in yaml.safe_load((REPO_ROOT / "playbooks" / "site.yml").read_text())]
        assert [names[t["name"]] for t in templates] == site + ["playbooks/verify.yml"]


# --- docs/awx.md ---------------------------------------------------------------------------------

def docs_table():
    """{job template: (playbook, [credentials], [survey variables])} of docs/awx.md section 4."""
    text = (REPO_ROOT / "docs" / "awx.md").read_text()
    section = text[text.index("## 4. Job templates"):]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not line.startswith("|") or cells[0] in ("job template", "---"):
            continue
        rows[cells[0]] = (cells[1].strip("`"), [c.strip() for c in cells[2].split(",")],
                          re.findall(r"`([a-z_][a-z0-9_]*)`", cells[3]))
    return rows


def test_the_docs_table_says_what_the_job_templates_are():
    defined = dict((t["name"], (t["playbook"], t["credentials"],
                                [q["variable"] for q in (t.get("survey_spec") or {}).get("spec", [])]))
                   for t in JOB_TEMPLATES)
    assert docs_table() == defined
