"""sparkflows_info through ansible-playbook against the Sparkflows emulator over HTTP."""

import pytest

from emulator.fixtures import ADMIN_TOKEN, ANALYST_TOKEN, seed_configurations
from utils.playbook import run_playbook


def info(tmp_path, emulator, token=ADMIN_TOKEN, args=(), **options):
    options = dict({"api_url": emulator.url, "api_token": token}, **options)
    return run_playbook(tmp_path, [{"name": "Read Sparkflows", "sparkflows.mlops.sparkflows_info": options}], args=args)


def test_health_release_user_and_masked_configuration(tmp_path, emulator):
    seed_configurations(emulator, {"mlops.mlflow.trackingURL": "http://mlflow.lab:5000",
                                   "mlops.mlflow.password": "Hidden-Pa55", "app.other": "x"})
    result = info(tmp_path, emulator)
    assert result.rc == 0, result.stdout
    data = result.result
    assert data["changed"] is False
    assert (data["health"], data["release"]) == ("UP", "3.1.0")
    assert data["user"]["username"] == "admin" and data["is_admin"] is True
    assert data["configuration"] == {"mlops.mlflow.trackingURL": "http://mlflow.lab:5000",
                                     "mlops.mlflow.password": "********"}
    assert "Hidden-Pa55" not in result.stdout
    assert [r["method"] for r in emulator.requests()] == ["GET"] * len(emulator.requests())


def test_non_admin_gets_no_configuration_and_a_warning(tmp_path, emulator):
    result = info(tmp_path, emulator, token=ANALYST_TOKEN)
    assert result.rc == 0, result.stdout
    assert result.result["is_admin"] is False
    assert result.result["configuration"] is None
    assert any("not an administrator" in w for w in result.result["warnings"])


def test_score_workflow_runs_to_completion(tmp_path, emulator):
    result = info(tmp_path, emulator, workflow="score-churn", workflow_poll_interval=0.2, workflow_timeout=30)
    assert result.rc == 0, result.stdout
    workflow = result.result["workflow"]
    assert (workflow["name"], workflow["id"], workflow["status"], workflow["succeeded"]) == (
        "score-churn", 11, "COMPLETED", True)
    assert isinstance(workflow["execution_id"], int)


@pytest.mark.parametrize("workflow, message", [
    ("score-broken", "Workflow score-broken (execution %d) ended FAILED"),
    ("score-forever", "Workflow score-forever (execution %d) still RUNNING after workflow_timeout=1s"),
])
def test_score_workflow_that_does_not_complete_fails(tmp_path, emulator, workflow, message):
    result = info(tmp_path, emulator, workflow=workflow, workflow_poll_interval=0.2, workflow_timeout=1)
    assert result.rc != 0
    assert result.result["msg"] == message % result.result["workflow"]["execution_id"]


def test_score_workflow_failure_can_be_reported_only(tmp_path, emulator):
    result = info(tmp_path, emulator, workflow="score-broken", workflow_poll_interval=0.2,
                  fail_on_workflow_failure=False)
    assert result.rc == 0
    assert result.result["workflow"]["succeeded"] is False


def test_check_mode_does_not_run_the_workflow(tmp_path, emulator):
    result = info(tmp_path, emulator, args=["--check"], workflow="score-churn")
    assert result.rc == 0, result.stdout
    assert result.result["workflow"]["status"] == "NOT_RUN_IN_CHECK_MODE"
    assert not [r for r in emulator.requests() if r["path"] == "/api/v1/workflow/execute"]


def test_unknown_workflow_fails_clearly(tmp_path, emulator):
    result = info(tmp_path, emulator, workflow="no-such-workflow")
    assert result.rc != 0
    assert result.result["msg"].endswith("/api/v1/workflows/name/no-such-workflow: HTTP 404: No workflow named no-such-workflow")
