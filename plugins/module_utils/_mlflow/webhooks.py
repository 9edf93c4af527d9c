# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""MLflow's model-registry webhooks as a receiver checks them: what MLflow signs and how
(mlflow/webhooks/delivery.py, MLflow 3.3 and newer), the window a delivery's time stamp must
fall in, the delivery ids already taken within it, and the event a verified delivery becomes.
The event source `sparkflows.mlops.mlflow_webhook` (extensions/eda/) is the HTTP glue around it.

MLflow signs `<delivery id>.<unix time stamp>.<body>` with HMAC-SHA256 and the webhook's secret,
sends `X-MLflow-Signature: v1,<base64>` beside `X-MLflow-Delivery-Id` and `X-MLflow-Timestamp`,
and retries on 429 and 5xx only: every refusal here is a 4xx (MLflow stops) but a full window,
429 (MLflow tries again later)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

SIGNATURE_HEADER = 'X-MLflow-Signature'
TIMESTAMP_HEADER = 'X-MLflow-Timestamp'
DELIVERY_ID_HEADER = 'X-MLflow-Delivery-Id'
SIGNATURE_VERSION = 'v1'
# A delivery signed longer ago (or further ahead) than this many seconds is refused.
DEFAULT_MAX_SKEW = 300
# Delivery ids remembered at most at once (each for the window only): a longer burst is
# answered 429, which MLflow retries with backoff.
DEFAULT_CAPACITY = 10000
# MLflow's delivery ids are UUIDs; anything much longer is not one.
MAX_DELIVERY_ID = 128
# The registry's model events (MLflow's WebhookEntity.WebhookAction), the fields each carries
# besides `name`.
MODEL_EVENTS = {
    'registered_model.created': (),
    'model_version.created': ('version', 'source', 'run_id'),
    'model_version_tag.set': ('version', 'key', 'value'),
    'model_version_tag.deleted': ('version', 'key'),
    'model_version_alias.created': ('version', 'alias'),
    'model_version_alias.deleted': ('alias',),
}


def event_body(name):
    """The webhook event of a name such as model_version_alias.created as MLflow's REST API
    takes and returns it ({"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"})."""
    entity, _dot, action = name.partition('.')
    return {'entity': entity.upper(), 'action': action.upper()}


def event_name(body):
    """The name of an event as MLflow's REST API returns it (the inverse of event_body)."""
    return '%s.%s' % (str(body.get('entity', '')).lower(), str(body.get('action', '')).lower())


class Refused(Exception):
    """A delivery not taken: the HTTP status to answer and why, in words that name no secret."""

    def __init__(self, status, reason):
        super(Refused, self).__init__(reason)
        self.status = status
        self.reason = reason


def signature(secret, delivery_id, timestamp, body):
    """The X-MLflow-Signature value MLflow sends for this delivery (body: the bytes sent)."""
    signed = ('%s.%s.' % (delivery_id, timestamp)).encode('utf-8') + body
    digest = hmac.new(secret.encode('utf-8'), signed, hashlib.sha256).digest()
    return '%s,%s' % (SIGNATURE_VERSION, base64.b64encode(digest).decode('ascii'))


def _signed_by(secret, delivery_id, timestamp, body, header):
    """Whether one of the header's space-separated `v1,<base64>` entries is this delivery's
    signature (compared in constant time)."""
    expected = signature(secret, delivery_id, timestamp, body).encode('ascii')
    matched = False
    for entry in header.split():
        # Every entry is compared: the time taken does not tell which one matched.
        matched = hmac.compare_digest(entry.encode('ascii', 'replace'), expected) or matched
    return matched


def event_of(payload, delivery_id, timestamp):
    """The event of a verified delivery: `mlflow` holds what a rule matches on (event, name,
    version, alias, tag key and value, where the event has them) and the delivery's id and time
    stamp; `data` is MLflow's payload as sent."""
    if not isinstance(payload, dict) or not isinstance(payload.get('data'), dict):
        raise Refused(400, 'the body is not an MLflow webhook payload (an object with entity, action and data)')
    kind = '%s.%s' % (payload.get('entity'), payload.get('action'))
    data = payload['data']
    fields = {'event': kind, 'name': data.get('name'), 'delivery_id': delivery_id, 'timestamp': timestamp,
              'sent_at': payload.get('timestamp')}
    for field in MODEL_EVENTS.get(kind, ('version', 'alias', 'key', 'value')):
        if field in data:
            fields[field] = data[field]
    return {'mlflow': fields, 'data': data}


class Receiver(object):
    """Checks deliveries to one webhook secret: signature, time stamp within max_skew seconds
    of the clock, delivery id not taken in the window. `take` returns the event of a delivery
    or raises Refused; only a verified delivery's id is remembered (an unsigned request cannot
    fill the window or block a real delivery)."""

    def __init__(self, secret, max_skew=DEFAULT_MAX_SKEW, capacity=DEFAULT_CAPACITY, clock=time.time):
        if not secret:
            raise ValueError('a webhook secret is required: MLflow signs deliveries only for a webhook that has one')
        self._secret = secret
        self._max_skew = int(max_skew)
        self._capacity = int(capacity)
        self._clock = clock
        # delivery id -> the time stamp it was signed at
        self._taken = {}

    def _forget_old(self, now):
        for delivery_id in [d for d, stamp in self._taken.items() if stamp < now - self._max_skew]:
            del self._taken[delivery_id]

    def take(self, header, body):
        """The event of one delivery. header(name) gives a request header or None; body is the
        request body as bytes."""
        delivery_id = header(DELIVERY_ID_HEADER) or ''
        stamp = header(TIMESTAMP_HEADER) or ''
        signed = header(SIGNATURE_HEADER) or ''
        if not delivery_id or not stamp:
            raise Refused(400, 'no %s or %s: not an MLflow webhook delivery' % (DELIVERY_ID_HEADER, TIMESTAMP_HEADER))
        if len(delivery_id) > MAX_DELIVERY_ID:
            raise Refused(400, 'the %s is longer than %d characters' % (DELIVERY_ID_HEADER, MAX_DELIVERY_ID))
        if not signed:
            raise Refused(401, 'no %s: the webhook in MLflow has no secret, or the request is not from MLflow'
                          % SIGNATURE_HEADER)
        try:
            timestamp = int(stamp)
        except ValueError:
            raise Refused(400, 'the %s is not a Unix time in seconds' % TIMESTAMP_HEADER)
        if not _signed_by(self._secret, delivery_id, stamp, body, signed):
            raise Refused(401, 'the signature does not match this webhook secret')
        now = self._clock()
        if abs(now - timestamp) > self._max_skew:
            raise Refused(401, 'signed %d s from this receiver\'s clock, more than the %d s allowed (an old delivery '
                          'replayed, or a clock to set right)' % (abs(now - timestamp), self._max_skew))
        self._forget_old(now)
        if delivery_id in self._taken:
            raise Refused(409, 'delivery %s was taken already: a replay' % delivery_id)
        if len(self._taken) >= self._capacity:
            raise Refused(429, 'more than %d deliveries within %d s' % (self._capacity, self._max_skew))
        try:
            payload = json.loads(body.decode('utf-8'))
        except ValueError:
            raise Refused(400, 'the body is not JSON')
        event = event_of(payload, delivery_id, timestamp)
        self._taken[delivery_id] = timestamp
        return event
