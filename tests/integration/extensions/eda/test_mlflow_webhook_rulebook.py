"""The mlflow_webhook event source under the real ansible-rulebook (Java 17, drools): a rulebook
that names it sparkflows.mlops.mlflow_webhook finds it in the collection, takes a signed delivery
once and fires its rule; a forged signature, an old time stamp and a replayed delivery id fire
nothing; the secret, given as ansible-rulebook gives secrets (--env-vars), is in no line of its
-vv output. Java 17 (Debian openjdk-17-jre-headless) is installed when missing."""

import json
import os
import pathlib
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks
from utils.certificates import make_ca, make_server_certificate, pem_certificate, pem_key
from utils.ports import free_port
from utils.process import stop as stop_process

REPO = pathlib.Path(__file__).resolve().parents[4]
APT_INSTALL = REPO / "tests" / "utils" / "apt-install.sh"
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


@pytest.fixture
def rulebook(tmp_path):
    """ansible-rulebook running a rulebook of the source on a free port: (port, CA file, a
    function that stops it and returns its output)."""
    # ansible-rulebook's rules engine (drools) runs on Debian's Java 17 runtime.
    subprocess.run([str(APT_INSTALL), "openjdk-17-jre-headless"], check=True, timeout=900)
    ca_key, ca = make_ca("sfmlops rulebook CA")
    key, certificate = make_server_certificate(ca_key, ca)
    for name, pem in (("ca.pem", pem_certificate(ca)), ("cert.pem", pem_certificate(certificate)),
                      ("key.pem", pem_key(key))):
        (tmp_path / name).write_bytes(pem)
    port = free_port()
    (tmp_path / "rulebook.yml").write_text(yaml.safe_dump([{
        "name": "MLflow deliveries", "hosts": "all",
        "sources": [{"sparkflows.mlops.mlflow_webhook": {
            "host": "127.0.0.1", "port": port, "certfile": str(tmp_path / "cert.pem"),
            "keyfile": str(tmp_path / "key.pem"), "secret": "{{ MLFLOW_WEBHOOK_SECRET }}"}}],
        "rules": [{"name": "Alias champion", "condition": 'event.mlflow.event == "model_version_alias.created" '
                   'and event.mlflow.alias == "champion"',
                   "action": {"debug": {"msg": "served alias {{ event.mlflow.alias }} of {{ event.mlflow.name }}: "
                                               "version {{ event.mlflow.version }}"}}}]}]))
    (tmp_path / "inventory.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    log = (tmp_path / "rulebook.log").open("w+")
    process = subprocess.Popen(
        ["ansible-rulebook", "-r", str(tmp_path / "rulebook.yml"), "-i", str(tmp_path / "inventory.yml"),
         "--env-vars", "MLFLOW_WEBHOOK_SECRET", "-vv"], stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO),
        env=dict(os.environ, MLFLOW_WEBHOOK_SECRET=SECRET))

    def stop():
        stop_process(process, timeout=30)
        log.seek(0)
        return log.read()

    deadline = time.monotonic() + 120
    while "mlflow_webhook: listening on" not in (tmp_path / "rulebook.log").read_text():
        assert process.poll() is None and time.monotonic() < deadline, \
            "ansible-rulebook did not start the source:\n" + stop()[-4000:]
        time.sleep(0.5)
    yield port, tmp_path / "ca.pem", stop
    stop()


def test_a_signed_delivery_fires_once_and_forged_old_or_replayed_ones_fire_nothing(rulebook):
    port, ca, stop = rulebook
    body, headers = delivery()
    forged_body, forged = delivery(secret="not-the-secret")
    old_body, old = delivery(stamp=int(time.time()) - 3600)
    statuses = [post(port, ca, forged_body, forged), post(port, ca, old_body, old),
                post(port, ca, body, headers), post(port, ca, body, headers)]
    assert statuses == [401, 401, 200, 409]
    output = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1)
        output = (ca.parent / "rulebook.log").read_text()
        if FIRED in output:
            break
    output = stop()
    assert output.count(FIRED) == 1, output[-4000:]
    assert output.count("mlflow_webhook: took delivery") == 1
    assert output.count("mlflow_webhook: refused a request") == 3
    assert SECRET not in output
