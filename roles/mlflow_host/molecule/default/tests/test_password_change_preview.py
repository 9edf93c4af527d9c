"""The MLflow admin password stays out of an admin's preview of a run that changes it: converge.yml
(on the converged instance its first play ends at once: the role runs once, as converged, served
model and Fire MLOps included) with --check --diff at -vvv and a new admin password (from an
extra-vars file, as a vault or vars file gives it). The tasks that write the password must report
changed (else this test proves nothing), and neither the old nor the new password may be in the
output. The scenario-wide preview (molecule/resources/tests/test_check_mode_preview.py) runs where
these tasks are unchanged, so a task carrying the password without no_log would pass it."""

import os
import pathlib
import re
import secrets
import subprocess

import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
CHECKOUT = pathlib.Path(__file__).resolve().parents[5]  # roles/mlflow_host/molecule/default/tests/
PASSWORD_TASKS = (
    "sparkflows.mlops.mlflow_host : Write the tracking server environment (admin credentials)",
    "sparkflows.mlops.mlflow_host : Write the client environment of served models (tracking URI and credentials)",
    "sparkflows.mlops.mlflow_host : Write the basic-auth configuration (admin credentials)",
)


def task_statuses(output, name):
    """The status words (ok, changed, skipping, failed, fatal) of every run of task NAME in the
    default callback's output."""
    blocks = re.split(r"^TASK \[", output, flags=re.M)
    return [status for block in blocks if block.startswith(name + "]")
            for status in re.findall(r"^(ok|changed|skipping|failed|fatal): \[", block, re.M)]


def test_a_new_admin_password_previewed_is_not_shown(tmp_path):
    scenario = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
    old_password = scenario["provisioner"]["inventory"]["group_vars"]["all"]["mlflow_host_admin_password"]
    new_password = "molecule-New-" + secrets.token_urlsafe(18)
    extra_vars = tmp_path / "new-password.yml"
    extra_vars.write_text(yaml.safe_dump({"mlflow_host_admin_password": new_password}))
    extra_vars.chmod(0o600)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(CHECKOUT / ".cache" / "collections"))
    checked = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "converge.yml"),
         "--check", "--diff", "-vvv", "-e", "@%s" % extra_vars],
        capture_output=True, text=True, env=env, timeout=900, check=False)
    output = checked.stdout + checked.stderr
    # Checked before anything is printed: a failure message must not show the passwords either.
    shown = [name for name, password in (("old", old_password), ("new", new_password)) if password in output]
    assert shown == [], "the %s admin password is in the -vvv --diff output" % " and ".join(shown)
    assert checked.returncode == 0, checked.stdout[-4000:] + checked.stderr[-2000:]
    for task in PASSWORD_TASKS:
        statuses = task_statuses(checked.stdout, task)
        assert "changed" in statuses and "ok" not in statuses, (task, statuses)
