"""The EXAMPLES of every module, as ansible-doc renders them, work as written against the
emulator listening where they point (127.0.0.1:8080, Sparkflows' default port)."""

import json
import os
import subprocess

import pytest
import yaml

from emulator.fixtures import ADMIN_PASSWORD, ADMIN_TOKEN, start_emulator
from utils.playbook import REPO_ROOT, run_playbook

MODULES = ("sparkflows.mlops.sparkflows_info", "sparkflows.mlops.mlflow_config")
EXAMPLE_VARS = {"sparkflows_token": ADMIN_TOKEN, "sparkflows_password": ADMIN_PASSWORD,
                "mlflow_password": "Example-Passw0rd"}


@pytest.fixture(scope="module")
def emulator_on_8080(tmp_path_factory):
    port, process = start_emulator(tmp_path_factory.mktemp("examples") / "state.json", port=8080)
    yield port
    process.kill()
    process.wait(timeout=10)


@pytest.mark.parametrize("module", MODULES)
def test_examples_run_as_written(tmp_path, emulator_on_8080, module):
    rendered = subprocess.run(
        ["ansible-doc", "--json", module], capture_output=True, text=True, timeout=120, check=True,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg")),
    )
    examples = yaml.safe_load(json.loads(rendered.stdout)[module]["examples"])
    assert examples, "no EXAMPLES for %s" % module
    result = run_playbook(tmp_path, examples, extra_vars=EXAMPLE_VARS)
    assert result.rc == 0, result.stdout
    assert len(result.results) == len(examples)
    assert all(not task.get("failed") for task in result.results)
