"""The mlflow_webhook event source as ansible-rulebook runs it (its main(queue, args) until
cancelled), over real HTTPS on loopback: a signed delivery answered 200 and put on the queue
once; a forged, old or replayed one answered 4xx and never queued; the secret in no log line."""

import asyncio
import json
import logging
import pathlib
import ssl
import sys
import time
import uuid

import aiohttp
import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks
from emulator.fixtures import make_tls_files
from utils.ports import free_port

REPO = pathlib.Path(__file__).resolve().parents[6]
sys.path.insert(0, str(REPO / "extensions" / "eda" / "plugins" / "event_source"))

import mlflow_webhook  # noqa: E402

SECRET = "unit-webhook-secret-5f1c"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """(CA file, certificate file, key file) of a listener on 127.0.0.1."""
    files = make_tls_files(tmp_path_factory.mktemp("tls"))
    return files["ca"], files["cert"], files["key"]


def signed(payload, secret=SECRET, stamp=None, delivery_id=None):
    body = json.dumps(payload).encode()
    delivery_id = delivery_id or str(uuid.uuid4())
    stamp = str(int(time.time()) if stamp is None else stamp)
    return body, {"Content-Type": "application/json", webhooks.DELIVERY_ID_HEADER: delivery_id,
                  webhooks.TIMESTAMP_HEADER: stamp,
                  webhooks.SIGNATURE_HEADER: webhooks.signature(secret, delivery_id, stamp, body)}


ALIAS = {"entity": "model_version_alias", "action": "created", "timestamp": "2026-12-07T00:00:00+00:00",
         "data": {"name": "churn", "alias": "champion", "version": "3"}}


def run_source(args, requests, ca):
    """Start the source with args, send each (path, body, headers) of requests in turn, cancel it;
    the answers (status, JSON) and the events queued."""

    async def scenario():
        queue = asyncio.Queue()
        source = asyncio.ensure_future(mlflow_webhook.main(queue, args))
        client_tls = ssl.create_default_context(cafile=str(ca))
        answers = []
        async with aiohttp.ClientSession() as session:
            for _attempt in range(600):  # the listener is up within 30 s, however busy the machine
                try:
                    async with session.get("https://127.0.0.1:%d/" % args["port"], ssl=client_tls):
                        break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0.05)
            for path, body, headers in requests:
                async with session.post("https://127.0.0.1:%d%s" % (args["port"], path), data=body,
                                        headers=headers, ssl=client_tls) as answer:
                    answers.append((answer.status, await answer.json() if answer.content_type == "application/json"
                                    else await answer.text()))
        source.cancel()
        with pytest.raises(asyncio.CancelledError):
            await source
        events = []
        while not queue.empty():
            events.append(queue.get_nowait())
        return answers, events

    return asyncio.run(scenario())


def args_for(tls, **more):
    _ca, cert, key = tls
    return dict({"host": "127.0.0.1", "port": free_port(), "certfile": str(cert), "keyfile": str(key),
                 "secret": SECRET}, **more)


def test_a_signed_delivery_is_answered_200_and_queued_once(tls, caplog):
    caplog.set_level(logging.DEBUG)
    body, headers = signed(ALIAS)
    answers, events = run_source(args_for(tls), [("/", body, headers), ("/", body, headers)], tls[0])
    assert answers[0] == (200, {"taken": headers[webhooks.DELIVERY_ID_HEADER]})
    assert answers[1][0] == 409
    assert len(events) == 1
    assert events[0]["mlflow"]["event"] == "model_version_alias.created"
    assert (events[0]["mlflow"]["name"], events[0]["mlflow"]["version"], events[0]["mlflow"]["alias"]) == \
        ("churn", "3", "champion")
    assert events[0]["data"] == ALIAS["data"]
    assert "took delivery %s" % headers[webhooks.DELIVERY_ID_HEADER] in caplog.text
    assert "model churn version 3 alias champion" in caplog.text
    assert SECRET not in caplog.text


def test_forged_and_old_deliveries_are_answered_401_and_never_queued(tls, caplog):
    caplog.set_level(logging.DEBUG)
    forged_body, forged = signed(ALIAS, secret="not-the-secret")
    old_body, old = signed(ALIAS, stamp=int(time.time()) - 3600)
    answers, events = run_source(args_for(tls), [("/", forged_body, forged), ("/", old_body, old)], tls[0])
    assert [status for status, _answer in answers] == [401, 401]
    assert "does not match" in answers[0][1]["error"]
    assert "more than the 300 s allowed" in answers[1][1]["error"]
    assert events == []
    assert caplog.text.count("refused a request from 127.0.0.1") == 2
    assert SECRET not in caplog.text


def test_the_secret_from_a_file_and_the_path_given(tls, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    args = args_for(tls, path="/hooks/mlflow", max_skew=30)
    del args["secret"]
    args["secret_file"] = str(secret_file)
    body, headers = signed(ALIAS, stamp=int(time.time()) - 60)
    fresh_body, fresh = signed(ALIAS)
    answers, events = run_source(args, [("/", fresh_body, fresh), ("/hooks/mlflow", body, headers),
                                        ("/hooks/mlflow", fresh_body, fresh)], tls[0])
    assert [status for status, _answer in answers] == [404, 401, 200]
    assert len(events) == 1


@pytest.mark.parametrize("change, message", [
    ({"certfile": None}, "certfile and keyfile are required"),
    ({"secret": None}, "give the webhook's secret"),
    ({"secret_file": "/dev/null"}, "give the webhook's secret"),
    ({"port": None}, "port is required"),
])
def test_a_source_missing_what_it_needs_fails_at_start(tls, change, message):
    args = dict((key, value) for key, value in dict(args_for(tls), **change).items() if value is not None)
    with pytest.raises(ValueError, match=message):
        asyncio.run(mlflow_webhook.main(asyncio.Queue(), args))
