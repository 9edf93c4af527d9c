"""The secret values of free-form map options are hidden from the moment a module reads its
arguments: scorer_container run as Ansible runs it (a process reading its JSON arguments) never
returns them, whether it fails on its own checks or on the argument spec (its runs against a
Docker Engine: tests/integration/plugins/modules/test_scorer_container.py)."""

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.secret_maps import as_map, as_names, hidden_values
from utils.lab import REPO_ROOT

HIDDEN = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
SECRET_MAPS = {"env": "secret_env", "labels": None}


def test_hidden_values_read_maps_and_names_as_the_argument_spec_does():
    params = {"env": "DB_PASSWORD=hunter2,THREADS=2,DSN=pg", "secret_env": "DSN", "labels": {"api_token": "t"}}
    assert hidden_values(params, SECRET_MAPS) == {"hunter2", "pg", "t"}
    assert as_map(None) == {} and as_names(None) == [] and as_names(["A", 1]) == ["A", "1"]


def test_a_map_that_cannot_be_read_is_hidden_whole():
    assert hidden_values({"env": ["DB_PASSWORD", "hunter2"], "labels": None}, SECRET_MAPS) \
        == {str(["DB_PASSWORD", "hunter2"])}
    assert hidden_values({"env": "", "labels": None}, SECRET_MAPS) == set()


def secret_args(tmp_path, **overrides):
    args = dict(name="sc-secret-test", image="127.0.0.1:5050/sparkflows/scorer", image_tag="3.1.0",
                model_path=str(tmp_path / "absent.zip"), host_port=18599,
                env={"DB_PASSWORD": "pw-by-its-name-7f3a", "DSN": "dsn-listed-9c1e", "THREADS": "2"},
                secret_env=["DSN"], labels={"team": "churn", "vendor_api_key": "label-secret-4d2b"},
                docker_host="unix:///nonexistent/docker.sock")
    args.update(overrides)
    return dict((option, value) for option, value in args.items() if value is not None)


SECRETS = ("pw-by-its-name-7f3a", "dsn-listed-9c1e", "label-secret-4d2b")


def run_scorer_container(workdir, args):
    """scorer_container's whole output (its JSON result, and anything else it wrote), run as
    Ansible runs it: a Python process reading its JSON arguments (bounded: 60 s)."""
    arguments = workdir / "args.json"
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    process = subprocess.run(
        [sys.executable, "-m", "ansible_collections.sparkflows.mlops.plugins.modules.scorer_container", str(arguments)],
        capture_output=True, text=True, timeout=60, check=False, cwd=str(workdir),
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT / ".cache" / "collections")))
    assert process.stdout.strip(), process.stderr[-2000:]
    return json.loads(process.stdout), process.stdout + process.stderr


@pytest.mark.parametrize("overrides, message", [
    # The module's own check, before the engine is asked.
    ({}, "does not exist on this host"),
    # The argument spec's, before anything of the module ran.
    ({"host_port": "not-a-port"}, "host_port"),
    # The argument spec's rules between options (None: the option left out).
    ({"host_port": None}, "state is started but all of the following are missing: host_port"),
    # The module's own, on another option.
    ({"model_path": ".", "smoke_payload": "{not json"}, "smoke_payload is not valid JSON"),
])
def test_scorer_container_never_returns_env_or_label_secrets(tmp_path, overrides, message):
    result, shown = run_scorer_container(tmp_path, secret_args(tmp_path, **overrides))
    assert result.get("failed") and message in result["msg"], result
    assert not [secret for secret in SECRETS if secret in shown], shown
    env = result["invocation"]["module_args"]["env"]
    assert (env["DB_PASSWORD"], env["DSN"], env["THREADS"]) == (HIDDEN, HIDDEN, "2")
    assert result["invocation"]["module_args"]["labels"]["team"] == "churn"


def test_a_secret_looking_label_is_warned_about(tmp_path):
    result, _shown = run_scorer_container(tmp_path, secret_args(tmp_path))
    assert "label vendor_api_key looks like a secret" in json.dumps(result.get("warnings")), result
