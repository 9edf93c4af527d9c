# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""sparkflows.mlops.sparkflows_models: new model versions in the Sparkflows model repository.

Lists the repository every `interval` seconds through the collection's Sparkflows client (the
one the modules use: the same connection options, TLS verified by default, retries of 5xx and
connection errors, answers checked) and puts an event on the queue when a watched model's latest
version (by name, optionally of one stage) changes - a new version, or another record of the
latest one:

    event.sparkflows_model: {name: churn, version: "4", stage: production, id: "17", uuid: ...,
                             watched_stage: production,
                             previous: {name: churn, version: "3", id: "12", ...}}

A listing that fails is logged (never a credential) and the next waits twice as long, up to
`max_backoff`; the first listing is the baseline (no events, unless `emit_initial`).
The rules are `plugins/module_utils/_sparkflows/model_watch.py`; docs/continuous-delivery.md.

Arguments:
    api_url, api_token (or api_username and api_password), api_token_header, validate_certs,
    ca_path, timeout, retries   the Sparkflows connection, as the modules take it
    models        the models watched: names, or {name, stage} mappings (required)
    interval      seconds between listings (default 60; 1 to 3600)
    max_backoff   longest wait after failed listings, seconds (default 600)
    emit_initial  an event for each watched model at the first listing too (default false)
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import sys
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean

try:
    from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import client as sparkflows
except ImportError:
    # ansible-rulebook loads this file by its path: the directory holding ansible_collections/
    # (this file is ansible_collections/sparkflows/mlops/extensions/eda/plugins/event_source/)
    # makes the collection's client importable.
    sys.path.insert(0, str(pathlib.Path(__file__).parents[7]))
    from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import client as sparkflows
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import model_watch

logger = logging.getLogger(__name__)


def _client(args: dict[str, Any]) -> sparkflows.SparkflowsClient:
    if not args.get("api_url"):
        raise ValueError("sparkflows_models: api_url is required")
    if bool(args.get("api_token")) == bool(args.get("api_username")):
        raise ValueError("sparkflows_models: give api_token, or api_username and api_password (one of them)")
    if args.get("api_username") and not args.get("api_password"):
        raise ValueError("sparkflows_models: api_username needs api_password")
    connection = dict((key, args[key]) for key in sparkflows.CONNECTION_ARGSPEC if args.get(key) is not None)
    # A rulebook's templated arguments arrive as text ("{{ X }}"): typed as the modules type them.
    kinds = dict(bool=boolean, float=float, int=int)
    for key, value in connection.items():
        kind = kinds.get(sparkflows.CONNECTION_ARGSPEC[key].get('type'))
        if kind:
            try:
                connection[key] = kind(value)
            except (TypeError, ValueError):
                raise ValueError("sparkflows_models: %s must be a %s, got %r" % (
                    key, sparkflows.CONNECTION_ARGSPEC[key]['type'], value))
    return sparkflows.SparkflowsClient(**connection)


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    """Watch until cancelled."""
    watched = model_watch.watched_models(args.get("models"))
    interval, max_backoff = model_watch.interval_and_backoff(args)
    client = _client(args)
    watch = model_watch.ModelWatch(watched, emit_initial=bool(args.get("emit_initial", False)))
    loop = asyncio.get_running_loop()
    logger.info("sparkflows_models: watching %s at %s every %s s", ", ".join(
        name + ("@" + stage if stage else "") for name, stage in watched), client.base_url, interval)
    failures, missing = 0, {}
    while True:
        try:
            models = await loop.run_in_executor(None, client.output_models)
            events = watch.changes(models, client.latest_model)
        except sparkflows.SparkflowsError as error:
            failures += 1
            logger.warning("sparkflows_models: listing %d failed in a row: %s", failures, error)
            events = []
        else:
            if failures:
                logger.info("sparkflows_models: listing again after %d failures", failures)
            failures = 0
            for key, why in watch.missing.items():
                if missing.get(key) != why:
                    logger.warning("sparkflows_models: %s", why)
            missing = watch.missing
        for event in events:
            model = event["sparkflows_model"]
            logger.info("sparkflows_models: model %s version %s (id %s, stage %s), was %s", model["name"],
                        model["version"], model["id"], model["stage"],
                        "version %s" % model["previous"]["version"] if model["previous"] else "not seen")
            await queue.put(event)
        await asyncio.sleep(model_watch.next_wait(interval, max_backoff, failures))


if __name__ == "__main__":
    # Run alone: print each event (python sparkflows_models.py '{"api_url": ..., "models": [...]}').
    class _PrintQueue(asyncio.Queue):
        async def put(self, item):
            print(json.dumps(item))

    asyncio.run(main(_PrintQueue(), json.loads(sys.argv[1])))
