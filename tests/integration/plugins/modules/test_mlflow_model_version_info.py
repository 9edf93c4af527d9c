"""mlflow_model_version_info through ansible-playbook against a real MLflow tracking server on
loopback (tests/utils/mlflow_server.py): an alias resolved to the version it points to now - and,
moved, to the new one - a version read as it is, the same in check mode, the password never
shown (-vvv); a missing alias, a missing version and a wrong password fail with one message; the
EXAMPLES run."""

import base64
import json
import urllib.request

import pytest

from utils.examples import example_tasks
from utils.mlflow_server import running_server
from utils.playbook import run_playbook

MODULE = "sparkflows.mlops.mlflow_model_version_info"
# The run of each version of churn, as the fixture made them.
RUNS = []


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("mlflow")) as server:
        # Two versions of churn (the registry only: no artifacts are read), champion on the first.
        rest(server, "/registered-models/create", {"name": "churn"})
        for _version in (1, 2):
            run_id = rest(server, "/runs/create", {"experiment_id": "0"})["run"]["info"]["run_id"]
            rest(server, "/model-versions/create", {"name": "churn", "source": "runs:/%s/model" % run_id, "run_id": run_id})
            RUNS.append(run_id)
        rest(server, "/registered-models/alias", {"name": "churn", "alias": "champion", "version": "1"})
        yield server


def rest(server, path, body):
    request = urllib.request.Request(server.url + "/api/2.0/mlflow" + path, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Basic " +
                                              base64.b64encode(("%s:%s" % (server.admin, server.password)).encode())
                                              .decode()})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def tasks(server, *uris, password="{{ mlflow_password }}"):
    options = dict(tracking_uri=server.url, username=server.admin, password=password)
    return [{"name": "version", MODULE: dict(options, model_uri=uri), "ignore_errors": True} for uri in uris]


def run(tmp_path, server, task_list, *args, callback="json"):
    return run_playbook(tmp_path, task_list, args=args, timeout=180, callback=callback,
                        extra_vars={"mlflow_password": server.password})


def test_an_alias_resolves_to_the_version_it_points_to_now(tmp_path, mlflow):
    result = run(tmp_path, mlflow, tasks(mlflow, "models:/churn@champion", "models:/churn/2"))
    champion, second = result.results
    assert (champion["pinned_uri"], champion["alias"], champion["model_version"]["run_id"], champion["changed"]) \
        == ("models:/churn/1", "champion", RUNS[0], False)
    assert (second["pinned_uri"], second["alias"], second["model_version"]["run_id"]) == ("models:/churn/2", None, RUNS[1])
    rest(mlflow, "/registered-models/alias", {"name": "churn", "alias": "champion", "version": "2"})
    try:
        previewed = run(tmp_path, mlflow, tasks(mlflow, "models:/churn@champion"), "--check", "-vvv", callback="default")
        assert previewed.rc == 0 and "models:/churn/2" in previewed.stdout, previewed.stdout[-3000:]
        assert mlflow.password not in previewed.stdout + previewed.stderr
    finally:
        rest(mlflow, "/registered-models/alias", {"name": "churn", "alias": "champion", "version": "1"})


def test_what_is_not_in_the_registry_and_a_wrong_password_fail_with_one_message(tmp_path, mlflow):
    result = run(tmp_path, mlflow, tasks(mlflow, "models:/churn@nobody", "models:/churn/9", "models:/gone@champion")
                 + tasks(mlflow, "models:/churn/1", password="wrong-password"))
    messages = [r.get("msg", "") for r in result.results]
    assert all(r.get("failed") for r in result.results), result.results
    # MLflow's own words after the URI: 400 for a missing alias, 404 for a missing version or model.
    assert messages[0].startswith("Cannot read models:/churn@nobody from the registry: GET /api/2.0/mlflow/"
                                  "registered-models/alias: MLflow answered 400"), messages
    assert messages[1].startswith("Cannot read models:/churn/9 from the registry: GET /api/2.0/mlflow/model-versions/get: "
                                  "MLflow answered 404"), messages
    assert messages[2].startswith("Cannot read models:/gone@champion from the registry:"), messages
    assert "401" in messages[3] and "wrong-password" not in messages[3], messages


def test_the_examples_run_against_the_server(tmp_path, mlflow):
    example = example_tasks(MODULE, {"https://mlflow.example.net:5000": mlflow.url, "username: reader": "username: admin",
                                     "  delegate_to: localhost\n": ""})
    result = run_playbook(tmp_path, example, extra_vars={"mlflow_reader_password": mlflow.password}, timeout=180)
    assert result.results[0]["pinned_uri"] == "models:/churn/1", result.stdout[-3000:]
    assert result.results[1]["msg"] == "models:/churn/1 (from run %s)" % RUNS[0]
