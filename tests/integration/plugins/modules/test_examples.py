"""The EXAMPLES of every module that talks to Sparkflows, as ansible-doc renders them, work as
written against the emulator. They point at Sparkflows' default port (127.0.0.1:8080); the test
points them at an emulator on a free port instead, so that nothing else listening there (or a
second test run) can make them pass or fail."""

import json
import os
import subprocess

import pytest
import yaml

from emulator.fixtures import ADMIN_PASSWORD, ADMIN_TOKEN, start_emulator
from utils.playbook import REPO_ROOT, run_playbook

MODULES = ("sparkflows.mlops.sparkflows_info", "sparkflows.mlops.mlflow_config", "sparkflows.mlops.sparkflows_workflow")
EXAMPLE_VARS = {"sparkflows_token": ADMIN_TOKEN, "sparkflows_password": ADMIN_PASSWORD,
                "mlflow_password": "Example-Passw0rd"}


EXAMPLE_URL = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def emulator_url(tmp_path_factory):
    port, process = start_emulator(tmp_path_factory.mktemp("examples") / "state.json")
    yield "http://127.0.0.1:%d" % port
    process.kill()
    process.wait(timeout=10)


@pytest.mark.parametrize("module", MODULES)
def test_examples_run_as_written(tmp_path, emulator_url, module):
    rendered = subprocess.run(
        ["ansible-doc", "--json", module], capture_output=True, text=True, timeout=120, check=True,
        env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg")),
    )
    text = json.loads(rendered.stdout)[module]["examples"]
    assert EXAMPLE_URL in text, "the EXAMPLES of %s no longer point at %s" % (module, EXAMPLE_URL)
    examples = yaml.safe_load(text.replace(EXAMPLE_URL, emulator_url))
    assert examples, "no EXAMPLES for %s" % module
    result = run_playbook(tmp_path, examples, extra_vars=EXAMPLE_VARS)
    assert result.rc == 0, result.stdout
    assert len(result.results) == len(examples)
    assert all(not task.get("failed") for task in result.results)
