"""The mlflow_webhook event source under the real ansible-rulebook (Java 17, drools): a rulebook
that names it sparkflows.mlops.mlflow_webhook finds it in the collection, takes a signed delivery
once and fires its rule; a forged signature, an old time stamp and a replayed delivery id fire
nothing; the secret, given as ansible-rulebook gives secrets (--env-vars), is in no line of its
-vv output. (tests/integration/plugins/modules/test_mlflow_webhook.py has MLflow itself deliver.)"""

import json
import ssl
import time
import urllib.error
import urllib.request
import uuid

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks
from emulator.fixtures import make_tls_files
from utils.ports import free_port
from utils.rulebook import running_rulebook

SECRET = "rulebook-webhook-Secret-77q"
FIRED = "served alias champion of churn: version 3"


def post(port, ca, body, headers):
    request = urllib.request.Request("https://127.0.0.1:%d/" % port, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(ca)), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def delivery(secret=SECRET, stamp=None, delivery_id=None):
    body = json.dumps({"entity": "model_version_alias", "action": "created", "timestamp": "2026-12-07T00:00:00Z",
                       "data": {"name": "churn", "alias": "champion", "version": "3"}}).encode()
    delivery_id = delivery_id or str(uuid.uuid4())
    stamp = str(int(time.time()) if stamp is None else stamp)
    return body, {"Content-Type": "application/json", webhooks.DELIVERY_ID_HEADER: delivery_id,
                  webhooks.TIMESTAMP_HEADER: stamp,
                  webhooks.SIGNATURE_HEADER: webhooks.signature(secret, delivery_id, stamp, body)}


def test_a_signed_delivery_fires_once_and_forged_old_or_replayed_ones_fire_nothing(tmp_path):
    tls = make_tls_files(tmp_path)
    port = free_port()
    source = {"host": "127.0.0.1", "port": port, "certfile": str(tls["cert"]), "keyfile": str(tls["key"]),
              "secret": "{{ MLFLOW_WEBHOOK_SECRET }}"}
    rule = {"name": "Alias champion",
            "condition": 'event.mlflow.event == "model_version_alias.created" and event.mlflow.alias == "champion"',
            "action": {"debug": {"msg": "served alias {{ event.mlflow.alias }} of {{ event.mlflow.name }}: "
                                        "version {{ event.mlflow.version }}"}}}
    with running_rulebook(tmp_path, "mlflow_webhook", source, [rule], {"MLFLOW_WEBHOOK_SECRET": SECRET},
                          "mlflow_webhook: listening on") as rulebook:
        ca_file = tls["ca"]
        body, headers = delivery()
        forged_body, forged = delivery(secret="not-the-secret")
        old_body, old = delivery(stamp=int(time.time()) - 3600)
        statuses = [post(port, ca_file, forged_body, forged), post(port, ca_file, old_body, old),
                    post(port, ca_file, body, headers), post(port, ca_file, body, headers)]
        assert statuses == [401, 401, 200, 409]
        assert rulebook.wait_for(FIRED, timeout=30), rulebook.output()[-4000:]
        # The rule had time to fire again, were a refused delivery queued.
        time.sleep(2)
        output = rulebook.output()
    assert output.count(FIRED) == 1, output[-4000:]
    assert output.count("mlflow_webhook: took delivery") == 1
    assert output.count("mlflow_webhook: refused a request") == 3
    assert SECRET not in output
