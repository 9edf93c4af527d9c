# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""sparkflows.mlops.mlflow_webhook: an HTTPS listener for MLflow's model-registry webhooks.

It takes a delivery only when MLflow's signature over its delivery id, time stamp and body
matches the webhook's secret, the time stamp is within `max_skew` seconds of this host's clock
and the delivery id was not taken before within that window; it answers at once (200 taken; 401
an unsigned, forged or old delivery; 409 a replayed id; 400 a request that is no delivery; 429 a
full window, which MLflow retries) and puts one event on the queue per delivery taken:

    event.mlflow: {event: model_version_alias.created, name: churn, version: "3", alias: champion,
                   delivery_id: ..., timestamp: 1765000000, sent_at: ...}
    event.data:   MLflow's payload as sent

The rules are `plugins/module_utils/_mlflow/webhooks.py`; docs/continuous-delivery.md shows the
rulebooks and the security model.

Arguments:
    port         the port to listen on (required)
    host         the address to listen on (default 0.0.0.0: MLflow calls from its own host)
    certfile     PEM certificate (chain) of the listener: MLflow sends to https:// targets only
    keyfile      PEM private key of that certificate
    secret       the webhook's secret, as registered in MLflow (or secret_file)
    secret_file  a file holding the secret (read once at start; keep it 0600)
    path         the URL path MLflow posts to (default /); any other path answers 404
    max_skew     seconds a delivery's time stamp may differ from this host's clock (default 300)
    max_body     largest body taken, in bytes (default 1048576)
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import ssl
import sys
from typing import Any

from aiohttp import web

try:
    from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks
except ImportError:
    # ansible-rulebook loads this file by its path: the directory holding ansible_collections/
    # (this file is ansible_collections/sparkflows/mlops/extensions/eda/plugins/event_source/)
    # makes the collection's own rules importable.
    sys.path.insert(0, str(pathlib.Path(__file__).parents[7]))
    from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhooks

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 1048576


def _secret(args: dict[str, Any]) -> str:
    if bool(args.get("secret")) == bool(args.get("secret_file")):
        raise ValueError("mlflow_webhook: give the webhook's secret as secret or as secret_file (one of them)")
    if args.get("secret"):
        return str(args["secret"])
    text = pathlib.Path(args["secret_file"]).read_text(encoding="utf-8").strip()
    if not text:
        raise ValueError("mlflow_webhook: secret_file %s is empty" % args["secret_file"])
    return text


def _tls(args: dict[str, Any]) -> ssl.SSLContext:
    if not args.get("certfile") or not args.get("keyfile"):
        raise ValueError("mlflow_webhook: certfile and keyfile are required: MLflow sends to https:// targets only")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(args["certfile"], args["keyfile"])
    return context


def receiver_app(queue: asyncio.Queue, receiver: webhooks.Receiver, path: str = "/",
                 max_body: int = DEFAULT_MAX_BODY) -> web.Application:
    """The web application: POST path checks a delivery with receiver and queues its event."""

    async def deliver(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = receiver.take(request.headers.get, body)
        except webhooks.Refused as refused:
            logger.warning("mlflow_webhook: refused a request from %s (%d): %s",
                           request.remote, refused.status, refused.reason)
            return web.json_response({"error": refused.reason}, status=refused.status)
        fields = event["mlflow"]
        logger.info("mlflow_webhook: took delivery %s from %s: %s of model %s%s%s", fields["delivery_id"],
                    request.remote, fields["event"], fields.get("name"),
                    " version %s" % fields["version"] if fields.get("version") else "",
                    " alias %s" % fields["alias"] if fields.get("alias") else "")
        await queue.put(event)
        return web.json_response({"taken": fields["delivery_id"]})

    app = web.Application(client_max_size=max_body)
    app.add_routes([web.post(path, deliver)])
    return app


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """Listen until cancelled."""
    if not args.get("port"):
        raise ValueError("mlflow_webhook: port is required")
    receiver = webhooks.Receiver(_secret(args), max_skew=int(args.get("max_skew", webhooks.DEFAULT_MAX_SKEW)))
    tls = _tls(args)
    app = receiver_app(queue, receiver, path=args.get("path", "/"),
                       max_body=int(args.get("max_body", DEFAULT_MAX_BODY)))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, args.get("host") or "0.0.0.0", int(args["port"]), ssl_context=tls)  # noqa: S104
    await site.start()
    logger.info("mlflow_webhook: listening on https://%s:%s%s", args.get("host") or "0.0.0.0", args["port"],
                args.get("path", "/"))
    try:
        await asyncio.Future()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    # Run alone: print each event (python mlflow_webhook.py '{"port": 8443, ...}').
    class _PrintQueue(asyncio.Queue):
        async def put(self, item):
            print(json.dumps(item))

    asyncio.run(main(_PrintQueue(), json.loads(sys.argv[1])))
