"""sparkflows_workflow through ansible-playbook against the Sparkflows emulator: the score workflow
runs and is waited for (bounded), in each documented shape of the execution status."""

import pytest

from emulator.fixtures import ADMIN_TOKEN
from emulator.sparkflows_emulator import VARIANTS
from utils.playbook import run_playbook


def workflow(tmp_path, emulator, args=(), **options):
    options = dict({"api_url": emulator.url, "api_token": ADMIN_TOKEN, "poll_interval": 0.2}, **options)
    return run_playbook(tmp_path, [{"name": "Run a workflow", "sparkflows.mlops.sparkflows_workflow": options}],
                        args=args)


@pytest.mark.parametrize("shape", VARIANTS["execution_status"])
def test_score_workflow_runs_to_completion(tmp_path, emulator, shape):
    emulator.control("variant", {"execution_status": shape})
    result = workflow(tmp_path, emulator, name="score-churn", timeout=30)
    assert result.rc == 0, result.stdout
    run = result.result
    assert (run["changed"], run["name"], run["workflow_id"], run["status"]) == (True, "score-churn", 11, "COMPLETED")
    assert isinstance(run["execution_id"], int)


def test_by_id(tmp_path, emulator):
    result = workflow(tmp_path, emulator, workflow_id=11, timeout=30)
    assert result.rc == 0 and result.result["status"] == "COMPLETED", result.stdout
    assert not [r for r in emulator.requests() if r["path"].startswith("/api/v1/workflows/name/")]


@pytest.mark.parametrize("name, message", [
    ("score-broken", "Workflow score-broken (execution %d) ended FAILED"),
    ("score-forever", "Workflow score-forever (execution %d) still RUNNING after timeout=1s"),
])
def test_a_workflow_that_does_not_complete_fails(tmp_path, emulator, name, message):
    result = workflow(tmp_path, emulator, name=name, timeout=1)
    assert result.rc != 0
    assert result.result["msg"] == message % result.result["execution_id"]


def test_a_failure_carries_the_servers_message(tmp_path, emulator):
    emulator.control("variant", {"execution_status": "object"})
    result = workflow(tmp_path, emulator, name="score-broken", timeout=30)
    assert result.rc != 0
    assert result.result["msg"] == ("Workflow score-broken (execution %d) ended FAILED: Stage 2 of the workflow failed: "
                                    "column plan not found" % result.result["execution_id"])


def test_without_wait_the_state_after_the_start_is_returned(tmp_path, emulator):
    result = workflow(tmp_path, emulator, name="score-forever", wait=False)
    assert result.rc == 0, result.stdout
    assert (result.result["changed"], result.result["status"]) == (True, "RUNNING")


def test_check_mode_does_not_run_the_workflow(tmp_path, emulator):
    result = workflow(tmp_path, emulator, args=["--check"], name="score-churn")
    assert result.rc == 0, result.stdout
    assert (result.result["changed"], result.result["workflow_id"], result.result["execution_id"]) == (True, 11, None)
    assert not [r for r in emulator.requests() if r["path"] == "/api/v1/workflow/execute"]


def test_unknown_workflow_fails_clearly(tmp_path, emulator):
    result = workflow(tmp_path, emulator, name="no-such-workflow")
    assert result.rc != 0
    assert result.result["msg"].endswith("/api/v1/workflows/name/no-such-workflow: HTTP 404: No workflow named no-such-workflow")


@pytest.mark.parametrize("options", [{}, {"name": "a", "workflow_id": 1}, {"name": "a", "timeout": -1},
                                     {"name": "a", "poll_interval": 0}])
def test_bad_input_fails_before_any_request(tmp_path, emulator, options):
    result = workflow(tmp_path, emulator, **options)
    assert result.rc != 0 and result.result.get("failed"), result.stdout
    assert emulator.requests() == []
