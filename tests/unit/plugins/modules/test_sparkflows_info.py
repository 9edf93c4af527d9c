"""sparkflows_info's workflow step with the real client against the emulator."""

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import SparkflowsClient
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_info import run_workflow
from emulator.fixtures import ADMIN_TOKEN


def workflow_params(**given):
    params = dict(workflow="score-churn", workflow_parameters="", workflow_timeout=30, workflow_poll_interval=0.1)
    params.update(given)
    return params


def test_check_mode_looks_the_workflow_up_without_running_it(emulator):
    client = SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN)
    result = run_workflow(client, workflow_params(), check_mode=True)
    assert result == dict(name="score-churn", id=11, execution_id=None, status="NOT_RUN_IN_CHECK_MODE", succeeded=None)
    assert [r["path"] for r in emulator.requests()] == ["/api/v1/workflows/name/score-churn"]


def test_run_reports_the_final_status(emulator):
    client = SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN)
    done = run_workflow(client, workflow_params(), check_mode=False)
    assert (done["status"], done["succeeded"]) == ("COMPLETED", True)
    failed = run_workflow(client, workflow_params(workflow="score-broken"), check_mode=False)
    assert (failed["status"], failed["succeeded"]) == ("FAILED", False)
    assert failed["execution_id"] == done["execution_id"] + 1
