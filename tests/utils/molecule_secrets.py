"""The secret values a Molecule scenario gives its role, compared by value: the scenario's
variables (every group's and host's of its molecule.yml inventory) that the role's
meta/argument_specs.yml marks no_log, or whose name says secret, and in its mappings and lists
every value under a key that says secret (scorer_env's DB_PASSWORD), rendered by Ansible from
the scenario's inventory (a lookup of a key file gives the key, not the lookup's text), then cut
into every piece a leak would show (each text of a list or mapping, each line of a multi-line
text such as a PEM key, which a diff shows line by line and JSON shows on one escaped line).
molecule/resources/tests/test_check_mode_preview.py and the roles' own preview tests use it."""

import json
import os
import pathlib
import subprocess

import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
# Words of a variable's name that say its value is secret, besides the role's no_log options.
SECRET_WORDS = ("password", "passphrase", "secret", "token", "private_key", "api_key")
# Shorter pieces (a port, "true", a PEM line's padding) would match unrelated output.
MIN_LENGTH = 6


def scenario_vars(scenario_dir):
    """{name: value} of every variable the scenario's molecule.yml inventory sets (group_vars of
    every group, then host_vars; the value as written, before Ansible renders it)."""
    scenario = yaml.safe_load((pathlib.Path(scenario_dir) / "molecule.yml").read_text())
    inventory = (scenario.get("provisioner") or {}).get("inventory") or {}
    found = {}
    for section in ("group_vars", "host_vars"):
        for variables in (inventory.get(section) or {}).values():
            found.update(variables or {})
    return found


def role_options(role):
    """{name: option} of every entry point of the role's meta/argument_specs.yml."""
    specs = yaml.safe_load((REPO_ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return dict((name, option) for entry in (specs.get("argument_specs") or {}).values()
                for name, option in (entry.get("options") or {}).items())


def no_log_options(role):
    """The options of the role marked no_log."""
    return {name for name, option in role_options(role).items() if option.get("no_log")}


def never_secret(option):
    """A role option whose name alone does not make it secret: anything but free text (a choice
    among fixed values such as update_password's, a boolean, a number, a list such as
    scorer_secret_env's names of secrets). Those that are secret say so: no_log."""
    return bool(option.get("choices")) or option.get("type", "str") not in ("str", "raw")


def secret_names(role, names):
    """Of the variable names, those that hold secrets: the role's no_log options, and any whose
    name says password, passphrase, secret, token, private_key or api_key and that is free text
    (a variable the role does not document, or a text option: never_secret)."""
    options = role_options(role)
    return sorted(name for name in names
                  if options.get(name, {}).get("no_log")
                  or (says_secret(name) and not never_secret(options.get(name, {}))))


def secret_strings(value):
    """Every piece of value a leak would show: each text (numbers as text) of a value, a list or
    a mapping (its keys left out), and each line of a multi-line text (PEM armour lines left
    out); pieces shorter than MIN_LENGTH are left out."""
    pieces = []
    if isinstance(value, dict):
        for item in value.values():
            pieces += secret_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            pieces += secret_strings(item)
    elif value is not None and not isinstance(value, bool):
        text = str(value).strip()
        pieces.append(text)
        if "\n" in text:
            pieces += [line.strip() for line in text.splitlines() if not line.strip().startswith("-----")]
    return sorted({piece for piece in pieces if len(piece) >= MIN_LENGTH})


def says_secret(name):
    """A name (of a variable, or a key of a mapping such as scorer_env's DB_PASSWORD) that says
    its value is secret."""
    return any(word in str(name).lower() for word in SECRET_WORDS)


def nested_secrets(value):
    """The pieces (secret_strings) of every value under a key that says secret, in a mapping or a
    list at any depth: scorer_env {DB_PASSWORD: ...}, scorer_models' env, users' password."""
    pieces = []
    if isinstance(value, dict):
        for key, item in value.items():
            pieces += secret_strings(item) if says_secret(key) else nested_secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            pieces += nested_secrets(item)
    return pieces


def rendered(inventory, names, env=None):
    """{host: {name: value}} of the variables as Ansible renders them for every host of the
    inventory (an undefined one is empty). Runs `ansible all -m debug` (on the controller, no
    connection); its output holds the values and is never shown."""
    template = ("{{ dict(molecule_secret_names | zip(q('ansible.builtin.vars', *molecule_secret_names, "
                "default=''))) | to_json }}")
    env = dict(env or os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_NOCOLOR="1")
    ran = subprocess.run(
        ["ansible", "all", "-i", str(inventory), "-m", "ansible.builtin.debug", "-a", "msg=%s" % template,
         "-e", json.dumps({"molecule_secret_names": list(names)})],
        capture_output=True, text=True, env=env, timeout=300, check=False)
    # The output holds the secrets: only the error stream and the failure messages are shown.
    assert ran.stdout.strip(), "rendering the scenario's secret variables failed: %s" % ran.stderr[-2000:]
    hosts = json.loads(ran.stdout)["plays"][0]["tasks"][0]["hosts"]
    failed = dict((host, result.get("msg")) for host, result in hosts.items() if result.get("failed"))
    assert ran.returncode == 0 and not failed, "rendering the scenario's secret variables failed: %s %s" % (
        failed, ran.stderr[-2000:])
    return dict((host, json.loads(result["msg"]) if isinstance(result["msg"], str) else result["msg"])
                for host, result in hosts.items())


def given_secrets(role, scenario_dir, inventory, env=None):
    """{name: [pieces]} of the secret values the scenario gives the role, rendered on every host.
    A secret variable that renders to nothing to look for fails: the check would be empty."""
    given = scenario_vars(scenario_dir)
    names = secret_names(role, given)
    # Mappings and lists whose keys may say secret (scorer_env: {DB_PASSWORD: ...}).
    nested = sorted(name for name, value in given.items() if name not in names and isinstance(value, (dict, list)))
    found = dict((name, set()) for name in names)
    if not names + nested:
        return {}
    for values in rendered(inventory, names + nested, env).values():
        for name, value in values.items():
            found.setdefault(name, set()).update(secret_strings(value) if name in names else nested_secrets(value))
    found = dict((name, pieces) for name, pieces in found.items() if name in names or pieces)
    empty = sorted(name for name, pieces in found.items() if not pieces)
    assert empty == [], "secret variables of the scenario with no value of %d characters or more: %s" % (
        MIN_LENGTH, empty)
    return dict((name, sorted(pieces)) for name, pieces in found.items())


def shown(secrets, output):
    """The names whose secret pieces are in output (never the pieces themselves)."""
    return sorted(name for name, pieces in secrets.items() if any(piece in output for piece in pieces))


def masked(text, secrets):
    """text with every secret piece replaced by ********, longest first (for failure messages)."""
    for piece in sorted({piece for pieces in secrets.values() for piece in pieces}, key=len, reverse=True):
        text = text.replace(piece, "********")
    return text
