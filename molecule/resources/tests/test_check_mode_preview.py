"""Every scenario (added by .config/molecule/config.yml): converge.yml again with --check --diff
at -vvv, as an admin previews a run, on the converged instance, every boolean and number of the
role given as text (`-e name=value`, as the shell and AWX surveys give them: the scenario's own
values, else the role's defaults): no type error, nothing to change (no task that only works
for real) and no secret the scenario gives in the output - compared by value: each secret
variable of the scenario (a no_log option of the role's argument specs, or a name that says
password, secret, token, private_key...) as Ansible renders it from the scenario's inventory,
every text of it and every line of a multi-line one (tests/utils/molecule_secrets.py)."""

import os
import pathlib
import re
import subprocess
import sys

import yaml

# This checkout, the collection (Molecule runs from roles/<role>/: MOLECULE_PROJECT_DIRECTORY is the role).
CHECKOUT = pathlib.Path(__file__).resolve().parents[3]
# The test utilities (tests/utils) and the collection as `make venv` links it, as tests/conftest.py has them.
sys.path[:0] = [str(CHECKOUT / "tests"), str(CHECKOUT / ".cache" / "collections")]
from utils.lab import typed_as_text  # noqa: E402  pylint: disable=wrong-import-position
from utils.molecule_secrets import given_secrets, masked, shown  # noqa: E402  pylint: disable=wrong-import-position


# The scenario's role (roles/<role>/molecule/default/).
ROLE = pathlib.Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]).resolve().parents[1].name


def scenario_values():
    scenario = yaml.safe_load(open(os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "molecule.yml")))
    return scenario.get("provisioner", {}).get("inventory", {}).get("group_vars", {}).get("all", {})


def test_check_mode_and_diff_on_the_converged_instance_change_nothing_and_show_no_secret():
    # Molecule forces colour for its own runs; the recap is read as text here.
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(CHECKOUT / ".cache" / "collections"))
    as_text = typed_as_text((ROLE,), scenario_values())
    assert as_text, "no typed variable in %s" % ROLE
    checked = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), "--check", "--diff", "-vvv",
         *as_text],
        capture_output=True, text=True, env=env, timeout=900, check=False)
    secrets = given_secrets(ROLE, os.environ["MOLECULE_SCENARIO_DIRECTORY"], os.environ["MOLECULE_INVENTORY_FILE"], env)
    # Checked first, by name: no failure message below may show a value either.
    assert shown(secrets, checked.stdout + checked.stderr) == []
    stdout, stderr = masked(checked.stdout, secrets), masked(checked.stderr, secrets)
    assert checked.returncode == 0, stdout[-4000:] + stderr[-2000:]
    recap = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", stdout, re.M)
    assert recap and all(changed == "0" for changed in recap), stdout.split("PLAY RECAP")[-1]
