"""What an admin gets from a change and from a mistake on the converged instance (converge.yml run
again with extra variables from a 0600 file, as a vault or vars file gives them):
- TLS off (given as text, as -e and AWX surveys give it): pg_hba.conf's lines become host lines,
  a login without TLS works, the certificate and key are removed; TLS on again: a login without
  TLS is refused again. No secret is in either run's output.
- a new password previewed (--check --diff -vvv): the task that sets it reports changed, neither
  password is in the output;
- bad input (the same database twice, a key that is not the certificate's): the run fails naming
  it, changes nothing on the host and shows no secret.
The no-change preview of the converged instance: molecule/resources/tests/test_check_mode_preview.py."""

import os
import pathlib
import re
import secrets
import subprocess
import sys

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from test_mlflow_db import PASSWORD, client_address, login

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
CHECKOUT = pathlib.Path(__file__).resolve().parents[5]  # roles/mlflow_db/molecule/default/tests/
sys.path[:0] = [str(CHECKOUT / "tests")]
from utils.molecule_secrets import given_secrets, masked, secret_strings, shown  # noqa: E402  pylint: disable=wrong-import-position

ROLE = "mlflow_db"
TASK = "sparkflows.mlops.mlflow_db : "
# What the role writes on the host (the version's directory found on the host): a failed run
# must leave each as it was.
WRITTEN = ["pg_hba.conf", "conf.d/sparkflows-mlflow.conf", "sparkflows-mlflow.crt", "sparkflows-mlflow.key"]


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


def statuses(output, name):
    return [status for block in re.split(r"^TASK \[", output, flags=re.M) if block.startswith(TASK + name + "]")
            for status in re.findall(r"^(ok|changed|skipping|failed|fatal): \[", block, re.M)]


def recap_changed(output):
    return [int(n) for n in re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", output, re.M)]


def checked(ran, hidden):
    """The run's output, once no secret is found in it (masked all the same)."""
    output = ran.stdout + ran.stderr
    # Checked first, by name: no failure message below may show a value either.
    assert shown(hidden, output) == []
    return masked(output, hidden)


def hba_types(host):
    return sorted({line.split()[0] for line in host.file(conf_dir(host) + "/pg_hba.conf").content_string.splitlines()
                   if line and not line.startswith("#")})


def conf_dir(host):
    return "/etc/postgresql/%s/main" % host.check_output("pg_lsclusters --no-header").split()[0]


def test_tls_off_then_on_again(host, tmp_path):
    hidden = scenario_secrets()
    try:
        off = converge(tmp_path, {"mlflow_db_tls": "false"})
        output = checked(off, hidden)
        assert off.returncode == 0, output[-4000:]
        assert hba_types(host) == ["host", "local"]
        assert not host.file(conf_dir(host) + "/sparkflows-mlflow.key").exists
        for database in ("mlflow", "mlflow_auth"):
            answer = login(host, host=client_address(host), dbname=database, sslmode="disable")
            assert answer.rc == 0 and answer.stdout.strip() == "%s mlflow false" % database, answer.stderr
    finally:
        on = converge(tmp_path, {})
    output = checked(on, hidden)
    assert on.returncode == 0, output[-4000:]
    assert hba_types(host) == ["hostssl", "local"]
    answer = login(host, host=client_address(host), sslmode="disable")
    assert answer.rc != 0 and "no encryption" in answer.stderr, answer.stderr
    assert login(host, host=client_address(host), sslmode="require").rc == 0


def test_a_new_password_previewed_is_not_shown(tmp_path):
    new = "molecule-New-" + secrets.token_urlsafe(18)
    hidden = dict(scenario_secrets(), new=[new])
    ran = converge(tmp_path, {"mlflow_db_password": new}, "--check", "--diff", "-vvv")
    output = checked(ran, hidden)
    assert ran.returncode == 0, output[-4000:]
    assert statuses(output, "Create the MLflow user with its password, stored as SCRAM-SHA-256") == ["changed"]


def another_key():
    """A new private key (PEM), not the certificate's."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("extra_vars, problem", [
    ({"mlflow_db_auth_name": "mlflow"}, "must be two different databases"),
    ({"mlflow_db_tls_private_key": another_key()}, "mlflow_db_tls_private_key is not the key of mlflow_db_tls_certificate"),
], ids=["one database twice", "a key not the certificate's"])
def test_bad_input_fails_naming_it_and_changes_nothing(host, tmp_path, extra_vars, problem):
    directory = conf_dir(host)
    before = dict((path, host.file("%s/%s" % (directory, path)).sha256sum) for path in WRITTEN)
    hidden = dict(scenario_secrets(), new=secret_strings(extra_vars.get("mlflow_db_tls_private_key")))
    ran = converge(tmp_path, extra_vars)
    output = checked(ran, hidden)
    assert ran.returncode != 0 and problem in output, output[-4000:]
    assert recap_changed(ran.stdout) == [0], output.split("PLAY RECAP")[-1]
    assert dict((path, host.file("%s/%s" % (directory, path)).sha256sum) for path in WRITTEN) == before
    assert PASSWORD not in output
