"""MLflow webhook deliveries checked: deliveries recorded as MLflow 3 sends them
(fixtures/mlflow_webhook/record.py) are taken; a change to any signed part, another secret, a
time stamp outside the window, a replayed id or a missing header is refused with the status
MLflow does not retry (4xx), and only verified ids fill the window."""

import base64
import json
import pathlib

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks

RECORDED = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "mlflow_webhook" /
                       "deliveries.json").read_text())
SECRET = RECORDED["secret"]


def delivery(index=0):
    recorded = RECORDED["deliveries"][index]
    return dict(recorded["headers"]), base64.b64decode(recorded["body"])


def header_of(headers):
    lower = dict((name.lower(), value) for name, value in headers.items())
    return lambda name: lower.get(name.lower())


def receiver_at(stamp, **kwargs):
    return webhooks.Receiver(SECRET, clock=lambda: stamp, **kwargs)


def stamp_of(headers):
    return int(headers[webhooks.TIMESTAMP_HEADER])


def refusal(receiver, headers, body):
    with pytest.raises(webhooks.Refused) as refused:
        receiver.take(header_of(headers), body)
    return refused.value


def test_every_recorded_mlflow_delivery_is_taken_with_its_event():
    events = []
    for index in range(len(RECORDED["deliveries"])):
        headers, body = delivery(index)
        events.append(receiver_at(stamp_of(headers)).take(header_of(headers), body)["mlflow"])
    alias, created, tag = events
    assert (alias["event"], alias["name"], alias["version"], alias["alias"]) == \
        ("model_version_alias.created", "churn", "3", "champion")
    assert alias["delivery_id"] == RECORDED["deliveries"][0]["headers"][webhooks.DELIVERY_ID_HEADER]
    assert alias["timestamp"] == stamp_of(delivery(0)[0])
    assert (created["event"], created["version"], created["source"]) == ("model_version.created", "4", "models:/m-1")
    assert "alias" not in created
    assert (tag["event"], tag["key"], tag["value"]) == ("model_version_tag.set", "stage", "ok")


def test_our_signature_is_mlflows():
    headers, body = delivery()
    assert webhooks.signature(SECRET, headers[webhooks.DELIVERY_ID_HEADER], headers[webhooks.TIMESTAMP_HEADER],
                              body) == headers[webhooks.SIGNATURE_HEADER]


@pytest.mark.parametrize("change", ["body", "delivery_id", "timestamp", "secret", "signature"])
def test_a_change_to_any_signed_part_is_refused_401(change):
    headers, body = delivery()
    stamp = stamp_of(headers)
    receiver = receiver_at(stamp)
    if change == "body":
        body = body.replace(b'"3"', b'"4"')
    elif change == "delivery_id":
        headers[webhooks.DELIVERY_ID_HEADER] = "0" + headers[webhooks.DELIVERY_ID_HEADER][1:]
    elif change == "timestamp":
        headers[webhooks.TIMESTAMP_HEADER] = str(stamp - 1)
    elif change == "secret":
        receiver = webhooks.Receiver("another-secret", clock=lambda: stamp)
    else:
        headers[webhooks.SIGNATURE_HEADER] = "v1," + base64.b64encode(b"\0" * 32).decode()
    refused = refusal(receiver, headers, body)
    assert refused.status == 401
    assert SECRET not in refused.reason


def test_one_matching_entry_of_several_is_enough():
    headers, body = delivery()
    headers[webhooks.SIGNATURE_HEADER] = "v1,AAAA " + headers[webhooks.SIGNATURE_HEADER]
    assert receiver_at(stamp_of(headers)).take(header_of(headers), body)["mlflow"]["name"] == "churn"


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_delivery_signed_outside_the_window_is_refused(offset):
    headers, body = delivery()
    refused = refusal(receiver_at(stamp_of(headers) + offset), headers, body)
    assert refused.status == 401
    assert "301 s" in refused.reason and "300 s" in refused.reason


@pytest.mark.parametrize("offset", [-300, 300])
def test_a_delivery_at_the_edge_of_the_window_is_taken(offset):
    headers, body = delivery()
    assert receiver_at(stamp_of(headers) + offset).take(header_of(headers), body)


def test_the_window_is_the_max_skew_given():
    headers, body = delivery()
    assert refusal(receiver_at(stamp_of(headers) + 11, max_skew=10), headers, body).status == 401
    assert receiver_at(stamp_of(headers) + 10, max_skew=10).take(header_of(headers), body)


def test_a_replayed_delivery_id_is_refused_409():
    headers, body = delivery()
    receiver = receiver_at(stamp_of(headers))
    receiver.take(header_of(headers), body)
    refused = refusal(receiver, headers, body)
    assert refused.status == 409
    assert headers[webhooks.DELIVERY_ID_HEADER] in refused.reason


def test_an_unverified_request_takes_no_id():
    # A forged request with a real delivery id must not make the real delivery a "replay".
    headers, body = delivery()
    receiver = receiver_at(stamp_of(headers))
    forged = dict(headers)
    forged[webhooks.SIGNATURE_HEADER] = "v1,AAAA"
    assert refusal(receiver, forged, body).status == 401
    assert receiver.take(header_of(headers), body)


def test_ids_are_forgotten_once_their_time_stamp_left_the_window():
    headers, body = delivery()
    stamp = stamp_of(headers)
    now = [stamp]
    receiver = webhooks.Receiver(SECRET, max_skew=300, capacity=1, clock=lambda: now[0])
    receiver.take(header_of(headers), body)
    # The window is full (capacity 1): another delivery waits, MLflow retries a 429.
    other_headers, other_body = delivery(1)
    now[0] = stamp_of(other_headers)
    assert refusal(receiver, other_headers, other_body).status == 429
    # 301 s after the first was signed it is gone from the window; the second is still in it.
    now[0] = stamp + 301
    other_headers[webhooks.TIMESTAMP_HEADER] = str(stamp + 2)
    other_headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(
        SECRET, other_headers[webhooks.DELIVERY_ID_HEADER], str(stamp + 2), other_body)
    assert receiver.take(header_of(other_headers), other_body)


@pytest.mark.parametrize("missing", [webhooks.DELIVERY_ID_HEADER, webhooks.TIMESTAMP_HEADER])
def test_a_request_without_the_delivery_headers_is_refused_400(missing):
    headers, body = delivery()
    del headers[missing]
    assert refusal(receiver_at(stamp_of(delivery()[0])), headers, body).status == 400


def test_an_unsigned_request_is_refused_401_with_the_likely_cause():
    headers, body = delivery()
    del headers[webhooks.SIGNATURE_HEADER]
    refused = refusal(receiver_at(stamp_of(headers)), headers, body)
    assert refused.status == 401
    assert "no secret" in refused.reason


def test_a_time_stamp_that_is_no_number_is_refused_400():
    headers, body = delivery()
    headers[webhooks.TIMESTAMP_HEADER] = "yesterday"
    headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(SECRET, headers[webhooks.DELIVERY_ID_HEADER],
                                                            "yesterday", body)
    assert refusal(receiver_at(0), headers, body).status == 400


def test_an_overlong_delivery_id_is_refused_400():
    headers, body = delivery()
    headers[webhooks.DELIVERY_ID_HEADER] = "x" * (webhooks.MAX_DELIVERY_ID + 1)
    assert refusal(receiver_at(stamp_of(headers)), headers, body).status == 400


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"entity": "model_version", "action": "created"}'])
def test_a_signed_body_that_is_no_mlflow_payload_is_refused_400_and_takes_no_id(body):
    headers, _body = delivery()
    headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(
        SECRET, headers[webhooks.DELIVERY_ID_HEADER], headers[webhooks.TIMESTAMP_HEADER], body)
    receiver = receiver_at(stamp_of(headers))
    assert refusal(receiver, headers, body).status == 400
    headers, body = delivery()
    assert receiver.take(header_of(headers), body)


def test_a_receiver_without_a_secret_is_refused():
    with pytest.raises(ValueError, match="secret is required"):
        webhooks.Receiver("")


def test_a_delivery_id_of_the_longest_length_is_taken():
    headers, body = delivery()
    delivery_id = "d" * webhooks.MAX_DELIVERY_ID
    headers[webhooks.DELIVERY_ID_HEADER] = delivery_id
    headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(SECRET, delivery_id, headers[webhooks.TIMESTAMP_HEADER],
                                                            body)
    assert receiver_at(stamp_of(headers)).take(header_of(headers), body)["mlflow"]["delivery_id"] == delivery_id


@pytest.mark.parametrize("change, reason", [
    ("no id", "no X-MLflow-Delivery-Id or X-MLflow-Timestamp: not an MLflow webhook delivery"),
    ("long id", "the X-MLflow-Delivery-Id is longer than 128 characters"),
    ("stamp", "the X-MLflow-Timestamp is not a Unix time in seconds"),
    ("body", "the body is not JSON"),
])
def test_each_refusal_says_why(change, reason):
    headers, body = delivery()
    if change == "no id":
        del headers[webhooks.DELIVERY_ID_HEADER]
    elif change == "long id":
        headers[webhooks.DELIVERY_ID_HEADER] = "x" * 129
    elif change == "stamp":
        headers[webhooks.TIMESTAMP_HEADER] = "soon"
        headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(SECRET, headers[webhooks.DELIVERY_ID_HEADER], "soon",
                                                                body)
    else:
        body = b"not json"
        headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(
            SECRET, headers[webhooks.DELIVERY_ID_HEADER], headers[webhooks.TIMESTAMP_HEADER], body)
    refused = refusal(receiver_at(stamp_of(delivery()[0])), headers, body)
    assert (refused.status, refused.reason, str(refused)) == (400, reason, reason)


def test_a_full_window_says_so():
    headers, body = delivery()
    refused = refusal(receiver_at(stamp_of(headers), capacity=0), headers, body)
    assert (refused.status, refused.reason) == (429, "more than 0 deliveries within 300 s")
