"""Every scenario (added by .config/molecule/config.yml): converge.yml again with --check --diff
at -vvv, as an admin previews a run, on the converged instance, every boolean and number of the
role given as text (`-e name=value`, as the shell and AWX surveys give them: the scenario's own
values, else the role's defaults): no type error, nothing to change (no task that only works
for real) and no secret of the scenario's variables (any whose name says password, secret or
token) in the output."""

import os
import pathlib
import re
import subprocess

import yaml

SECRET_WORDS = ("password", "secret", "token")
# This checkout, the collection (Molecule runs from roles/<role>/: MOLECULE_PROJECT_DIRECTORY is the role).
CHECKOUT = pathlib.Path(__file__).resolve().parents[3]


def scenario_secrets():
    return [str(value) for name, value in scenario_values().items() if any(word in name for word in SECRET_WORDS)]


def scenario_values():
    scenario = yaml.safe_load(open(os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "molecule.yml")))
    return scenario.get("provisioner", {}).get("inventory", {}).get("group_vars", {}).get("all", {})


def typed_as_text():
    """-e name=text of the role's bool, int and float variables (its meta/argument_specs.yml)."""
    role = pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]).resolve().parents[1]
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    values, arguments = scenario_values(), []
    for name, option in sorted(options.items()):
        if option.get("type") in ("bool", "int", "float"):
            value = values.get(name, option.get("default"))
            if value is not None:
                arguments += ["-e", "%s=%s" % (name, str(value).lower() if isinstance(value, bool) else value)]
    assert arguments, "no typed variable in %s" % role
    return arguments


def test_check_mode_and_diff_on_the_converged_instance_change_nothing_and_show_no_secret():
    # Molecule forces colour for its own runs; the recap is read as text here.
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(CHECKOUT / ".cache" / "collections"))
    checked = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), "--check", "--diff", "-vvv",
         *typed_as_text()],
        capture_output=True, text=True, env=env, timeout=900, check=False)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
    recap = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", checked.stdout, re.M)
    assert recap and all(changed == "0" for changed in recap), checked.stdout.split("PLAY RECAP")[-1]
    output = checked.stdout + checked.stderr
    assert [secret for secret in scenario_secrets() if secret in output] == []
