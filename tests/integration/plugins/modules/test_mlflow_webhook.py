"""mlflow_webhook through ansible-playbook against a real MLflow tracking server on loopback
(tests/utils/mlflow_server.py: SQLite store, basic authentication): created, left alone on a
second run, updated in what the user set only, previewed in check mode with a diff, its secret
sent only on creation or when asked and never shown (-vvv), removed; bad input and a wrong
password fail with one message and change nothing. Then the whole chain: the webhook registered
for the mlflow_webhook event source running under the real ansible-rulebook, MLflow's test
delivery taken, and an alias set in MLflow's registry fires the rulebook's rule with MLflow's own
signature; the same webhook with another secret fails its test (401)."""

import base64
import json
import urllib.request

import pytest

from utils.examples import example_tasks
from utils.mlflow_server import listener_certificate, running_server
from utils.playbook import recap_changed, run_playbook
from utils.ports import free_port
from utils.rulebook import running_rulebook

MODULE = "sparkflows.mlops.mlflow_webhook"
SECRET = "Webhook-Secret-Sx91"
OTHER_SECRET = "Other-Webhook-Secret-Qz3"


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("mlflow")) as server:
        yield server


def rest(server, method, path, body=None):
    """MLflow's REST API as its admin, outside the module (the test's own view)."""
    request = urllib.request.Request(server.url + "/api/2.0/mlflow" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", "Authorization": "Basic " +
                                              base64.b64encode(("%s:%s" % (server.admin, server.password)).encode())
                                              .decode()})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def held(server, name):
    return [w for w in rest(server, "GET", "/webhooks?max_results=100").get("webhooks", []) if w["name"] == name]


def task(server, name="sparkflows-eda", **options):
    values = dict(tracking_uri=server.url, username=server.admin, password="{{ mlflow_password }}", name=name,
                  url="https://127.0.0.1:9/", secret="{{ webhook_secret }}")
    values.update(options)
    return {"name": "webhook", MODULE: values, "ignore_errors": True}


def run(tmp_path, server, tasks, *args, secret=SECRET, callback="json"):
    return run_playbook(tmp_path, tasks, args=args, timeout=180, callback=callback,
                        extra_vars={"mlflow_password": server.password, "webhook_secret": secret})


def test_created_kept_updated_previewed_and_removed_without_showing_the_secret(tmp_path, mlflow):
    created = run(tmp_path, mlflow, [task(mlflow, events=["model_version_alias.created"], description="EDA")])
    result = created.result
    assert result["changed"] and result["secret_updated"], created.stdout[-3000:]
    assert result["webhook"]["events"] == ["model_version_alias.created"]
    [webhook] = held(mlflow, "sparkflows-eda")
    assert webhook["webhook_id"] == result["webhook"]["webhook_id"]
    assert (webhook["url"], webhook["status"], webhook["description"]) == ("https://127.0.0.1:9/", "ACTIVE", "EDA")

    again = run(tmp_path, mlflow, [task(mlflow, events=["model_version_alias.created"])])
    assert not again.result["changed"] and not again.result["secret_updated"]

    # Check mode with a diff: the change previewed, nothing changed in MLflow.
    preview = run(tmp_path, mlflow, [task(mlflow, events=["model_version.created", "model_version_alias.created"])],
                  "--check", "--diff")
    assert preview.result["changed"]
    assert preview.result["diff"]["before"]["events"] == ["model_version_alias.created"]
    assert preview.result["diff"]["after"]["events"] == ["model_version.created", "model_version_alias.created"]
    assert [e["action"] for e in held(mlflow, "sparkflows-eda")[0]["events"]] == ["CREATED"]
    assert len(held(mlflow, "sparkflows-eda")[0]["events"]) == 1

    updated = run(tmp_path, mlflow, [task(mlflow, events=["model_version.created", "model_version_alias.created"],
                                          status="disabled")], "--diff")
    assert updated.result["changed"] and not updated.result["secret_updated"]
    [webhook] = held(mlflow, "sparkflows-eda")
    assert webhook["status"] == "DISABLED" and len(webhook["events"]) == 2
    assert webhook["description"] == "EDA", "a description not given is left as MLflow holds it"

    # The secret sent again only when asked, which is a change every run; shown nowhere.
    rotate = [task(mlflow, events=["model_version.created", "model_version_alias.created"], status="disabled",
                   update_secret="always")]
    rotated = run(tmp_path, mlflow, rotate, "--diff", secret=OTHER_SECRET)
    assert rotated.result["changed"] and rotated.result["secret_updated"]
    verbose = run(tmp_path, mlflow, rotate, "-vvv", "--diff", callback="default")
    assert recap_changed(verbose.stdout) == 1
    for output in (created.stdout, updated.stdout, rotated.stdout, verbose.stdout, verbose.stderr):
        assert SECRET not in output and OTHER_SECRET not in output and mlflow.password not in output

    removed = run(tmp_path, mlflow, [task(mlflow, state="absent")])
    assert removed.result["changed"] and removed.result["removed"] == [webhook["webhook_id"]]
    assert held(mlflow, "sparkflows-eda") == []
    assert not run(tmp_path, mlflow, [task(mlflow, state="absent")]).result["changed"]


def test_bad_input_and_a_wrong_password_fail_with_one_message_and_change_nothing(tmp_path, mlflow):
    result = run(tmp_path, mlflow, [
        task(mlflow, name="bad-1", url="http://127.0.0.1:9/"),
        task(mlflow, name="bad-2", events=["model_version.exploded"]),
        task(mlflow, name="bad-3", tracking_uri="mlflow.example.net"),
        task(mlflow, name="bad-4", password="not-the-password"),
        task(mlflow, name="bad-5", tracking_uri="http://127.0.0.1:%d" % free_port(), timeout=5),
    ])
    messages = [r.get("msg", "") for r in result.results if r.get("failed")]
    assert len(messages) == 5, result.stdout[-3000:]
    assert "url must be an https:// URL" in messages[0]
    assert "model_version.exploded" in messages[1]
    assert "tracking_uri must be an http:// or https:// URL" in messages[2]
    assert "GET /api/2.0/mlflow/webhooks: MLflow answered 401" in messages[3]
    assert "cannot reach the tracking server" in messages[4]
    assert not any(held(mlflow, "bad-%d" % n) for n in range(1, 6))
    assert "not-the-password" not in result.stdout


def test_two_webhooks_of_one_name_are_refused(tmp_path, mlflow):
    for _copy in range(2):
        rest(mlflow, "POST", "/webhooks", {"name": "twice", "url": "https://127.0.0.1:9/", "secret": "x",
                                           "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]})
    result = run(tmp_path, mlflow, [task(mlflow, name="twice")])
    assert result.result["failed"]
    assert "2 webhooks of MLflow are named twice" in result.result["msg"]


def test_an_alias_set_in_mlflow_fires_the_rulebook_through_the_registered_webhook(tmp_path, mlflow):
    port = free_port()
    cert, key = listener_certificate(tmp_path)
    rule = {"name": "Alias champion", "condition": 'event.mlflow.event == "model_version_alias.created" '
            'and event.mlflow.alias == "champion"',
            "action": {"debug": {"msg": "champion of {{ event.mlflow.name }} is version {{ event.mlflow.version }}"}}}
    source = {"host": "127.0.0.1", "port": port, "certfile": str(cert), "keyfile": str(key),
              "secret": "{{ MLFLOW_WEBHOOK_SECRET }}"}
    with running_rulebook(tmp_path, "mlflow_webhook", source, [rule], {"MLFLOW_WEBHOOK_SECRET": SECRET},
                          "mlflow_webhook: listening on") as rulebook:
        url = "https://127.0.0.1:%d/" % port
        registered = run(tmp_path, mlflow, [task(mlflow, name="eda-chain", url=url, test=True)])
        assert registered.result.get("test", {}).get("success"), registered.stdout[-3000:]

        rest(mlflow, "POST", "/registered-models/create", {"name": "churn"})
        version = rest(mlflow, "POST", "/model-versions/create",
                       {"name": "churn", "source": "s3://mlflow-artifacts/churn/model"})["model_version"]["version"]
        rest(mlflow, "POST", "/registered-models/alias", {"name": "churn", "alias": "champion", "version": version})
        fired = "champion of churn is version %s" % version
        assert rulebook.wait_for(fired, timeout=60), rulebook.output()[-4000:]

        # The same webhook with a secret the listener does not hold: MLflow's test delivery refused.
        refused = run(tmp_path, mlflow, [task(mlflow, name="eda-chain", url=url, test=True, update_secret="always")],
                      secret=OTHER_SECRET)
        assert refused.result["failed"]
        assert "test delivery to %s failed: answered 401" % url in refused.result["msg"]
        # The secret was sent before the test: the task says it changed the webhook.
        assert refused.result["changed"] and refused.result["secret_updated"]
        output = rulebook.output()
    assert output.count(fired) == 1
    assert SECRET not in output and OTHER_SECRET not in output


def test_the_examples_run_against_the_server(tmp_path, mlflow):
    # The EXAMPLES as written, on this server (nothing listens at their URL here: the first
    # example runs without its test, which the rulebook test above covers).
    tasks = example_tasks(MODULE, {
        "https://mlflow.example.net:5000": mlflow.url, "https://eda.example.net:8443/": "https://127.0.0.1:9/",
        "    ca_path: /etc/ssl/certs/example-ca.pem\n": "", "    test: true\n": "",
        "  delegate_to: localhost\n": ""})
    result = run_playbook(tmp_path, tasks, extra_vars={"mlflow_admin_password": mlflow.password,
                                                       "mlflow_webhook_secret": SECRET,
                                                       "new_mlflow_webhook_secret": OTHER_SECRET}, timeout=180)
    assert [r.get("changed") for r in result.results] == [True, True, True], result.stdout[-3000:]
    assert held(mlflow, "sparkflows-eda") == []
