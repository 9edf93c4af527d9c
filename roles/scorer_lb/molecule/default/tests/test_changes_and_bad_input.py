"""What an admin sees of a change, and of a mistake, on the converged balancer (converge.yml run
again with extra variables from a 0600 file, as a vault or vars file gives them):
- a check-mode preview at -vvv --diff with new secrets (API key, user password, certificate and
  key) and a new timeout: the tasks that write them report changed, the configuration's diff
  shows the timeout, and no old or new secret is in the output (compared by value);
- bad input (a short API key, a health path without /, a model without lb_port): the run fails
  naming the problem, changes nothing on the balancer and shows no secret.
The no-change preview of the converged instance: molecule/resources/tests/test_check_mode_preview.py."""

import os
import pathlib
import re
import secrets
import subprocess
import sys

import pytest
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
CHECKOUT = pathlib.Path(__file__).resolve().parents[5]  # roles/scorer_lb/molecule/default/tests/
sys.path[:0] = [str(CHECKOUT / "tests")]
from utils.molecule_secrets import given_secrets, masked, secret_strings, shown  # noqa: E402  pylint: disable=wrong-import-position

ROLE = "scorer_lb"
TASK = "sparkflows.mlops.scorer_lb : "
# The certificate, key and digest files are written by role _common's entry points
# (tls_certificate, haproxy_credentials), whose tasks the output names after that role.
COMMON_TASK = "sparkflows.mlops._common : "
# What the role writes on the balancer: a failed run must leave each as it was.
WRITTEN = ["/etc/haproxy/haproxy.cfg", "/etc/haproxy/sparkflows/api-keys.sha256",
           "/etc/haproxy/sparkflows/users.sha256", "/etc/haproxy/sparkflows/scorer_lb.pem",
           "/etc/haproxy/sparkflows/scorer_lb.pem.key",
           "/etc/systemd/system/haproxy.service.d/sparkflows-scorer-lb.conf"]


def converge(tmp_path, extra_vars, *args):
    """converge.yml on the instance with extra_vars from a 0600 file: the finished process."""
    extra = tmp_path / "extra-vars.yml"
    extra.write_text(yaml.safe_dump(extra_vars))
    extra.chmod(0o600)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_COLLECTIONS_PATH=str(CHECKOUT / ".cache" / "collections"))
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO / "converge.yml"),
         "-e", "@%s" % extra, *args], capture_output=True, text=True, env=env, timeout=600, check=False)


def scenario_secrets():
    return given_secrets(ROLE, SCENARIO, os.environ["MOLECULE_INVENTORY_FILE"])


def task_blocks(output, name):
    """The output of every run of task NAME in the default callback's output."""
    return [block for block in re.split(r"^TASK \[", output, flags=re.M)
            if any(block.startswith(prefix + name + "]") for prefix in (TASK, COMMON_TASK))]


def statuses(output, name):
    return [status for block in task_blocks(output, name)
            for status in re.findall(r"^(ok|changed|skipping|failed|fatal): \[", block, re.M)]


def recap_changed(output):
    return [int(n) for n in re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", output, re.M)]


def test_a_preview_of_new_secrets_and_settings_shows_the_diff_and_no_secret(tmp_path):
    tls = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "tls"
    new = {
        "scorer_lb_tls_certificate": (tls / "lb-new.crt").read_text(),
        "scorer_lb_tls_private_key": (tls / "lb-new.key").read_text(),
        "scorer_lb_api_keys": ["molecule-New-" + secrets.token_urlsafe(18)],
        "scorer_lb_users": [{"name": "scoring-app", "password": "molecule-New-" + secrets.token_urlsafe(18)}],
        "scorer_lb_timeout_client_ms": 45000,
    }
    hidden = dict(scenario_secrets())
    hidden.update(("new " + name, secret_strings(new[name]))
                  for name in ("scorer_lb_tls_private_key", "scorer_lb_api_keys", "scorer_lb_users"))
    checked = converge(tmp_path, new, "--check", "--diff", "-vvv")
    output = checked.stdout + checked.stderr
    # Checked first, by name: no failure message below may show a value either.
    assert shown(hidden, output) == []
    stdout = masked(checked.stdout, hidden)
    assert checked.returncode == 0, stdout[-4000:] + masked(checked.stderr, hidden)[-2000:]
    for task in ("Install the certificate", "Install the key", "Write the digests of the API keys",
                 "Write the digests of the basic-auth users", "Write the HAProxy configuration"):
        # (Install the certificate: the task of a given one changed, the issuing block's skipped.)
        found = statuses(stdout, task)
        assert "changed" in found and not {"ok", "failed", "fatal"} & set(found), (task, found)
    config_diff = task_blocks(stdout, "Write the HAProxy configuration")[0]
    assert "-    timeout client 60000ms" in config_diff and "+    timeout client 45000ms" in config_diff, config_diff
    # The key's diff is never shown, not even as a changed file's header.
    assert "scorer_lb.pem.key" not in "".join(re.findall(r"^--- before.*$", stdout, re.M))


@pytest.mark.parametrize("extra_vars, problem", [
    ({"scorer_lb_api_keys": ["short-key"]}, "every API key must be text of 16 characters or more"),
    ({"scorer_lb_health_path": "health"}, "scorer_lb_health_path must be empty or start with /"),
    ({"scorer_models": [{"name": "churn-model", "model_id": 101, "host_port": 18081}]},
     "churn-model: needs an lb_port"),
], ids=["short api key", "health path without slash", "model without lb_port"])
def test_bad_input_fails_naming_it_and_changes_nothing(host, tmp_path, extra_vars, problem):
    before = dict((path, host.file(path).sha256sum) for path in WRITTEN)
    ran = converge(tmp_path, extra_vars)
    hidden = dict(scenario_secrets(), given=secret_strings(extra_vars.get("scorer_lb_api_keys")))
    output = ran.stdout + ran.stderr
    assert shown(hidden, output) == []
    output = masked(output, hidden)
    assert ran.returncode != 0 and problem in output, output[-4000:]
    assert recap_changed(ran.stdout) == [0], output.split("PLAY RECAP")[-1]
    assert dict((path, host.file(path).sha256sum) for path in WRITTEN) == before
