"""The sparkflows_models event source as ansible-rulebook runs it (main(queue, args) until
cancelled) against the Sparkflows emulator: the first listing a baseline, a new version of a
watched model one event, a failing server logged (never the token) and watched again when it
answers, and one listing request per interval."""

import asyncio
import json
import logging
import pathlib
import sys

import pytest

from emulator.fixtures import ADMIN_TOKEN

REPO = pathlib.Path(__file__).resolve().parents[6]
sys.path.insert(0, str(REPO / "extensions" / "eda" / "plugins" / "event_source"))

import sparkflows_models  # noqa: E402

MODELS = [
    {"id": 101, "uuid": "u-101", "name": "churn-model", "version": 1, "stage": "Production", "modelType": "sklearn"},
    {"id": 201, "uuid": "u-201", "name": "fraud-model", "version": 1, "stage": "Production", "modelType": "sklearn"},
]


def listings(emulator, status=None):
    return [r for r in emulator.requests() if r["path"] == "/api/v1/mlmodel/OutputModels"
            and (status is None or r["status"] == status)]


async def listed(emulator, count, status=None, timeout=60):
    """Wait (bounded) until the emulator has answered count listings (of that status)."""
    for _attempt in range(int(timeout / 0.2)):
        if len(listings(emulator, status)) >= count:
            return
        await asyncio.sleep(0.2)
    seen = len(listings(emulator, status))
    raise AssertionError("the emulator saw %d listings, not %d, in %d s" % (seen, count, timeout))


def test_a_new_version_is_one_event_and_a_failing_server_is_watched_again(emulator, caplog):
    # Waits follow what the emulator saw, not the clock: the suite runs beside other work.
    caplog.set_level(logging.INFO)
    listing = emulator.models_dir / "models.json"
    listing.write_text(json.dumps(MODELS))
    args = {"api_url": emulator.url, "api_token": ADMIN_TOKEN, "models": ["churn-model"], "interval": 1,
            "max_backoff": 2, "retries": 0, "timeout": "10", "validate_certs": "true"}

    async def scenario():
        queue = asyncio.Queue()
        source = asyncio.ensure_future(sparkflows_models.main(queue, args))
        started = asyncio.get_running_loop().time()
        await listed(emulator, 2)
        baseline = queue.qsize()
        # A new version of the watched model and of another one.
        listing.write_text(json.dumps(MODELS + [
            dict(MODELS[0], id=102, uuid="u-102", version=2, stage="Staging"),
            dict(MODELS[1], id=202, uuid="u-202", version=2)]))
        changed = [await asyncio.wait_for(queue.get(), timeout=60)]
        emulator.control("faults", {"fail_next": [503, 503]})
        await listed(emulator, 2, status=503)
        during = queue.qsize()
        listing.write_text(json.dumps(MODELS + [dict(MODELS[0], id=103, uuid="u-103", version=3)]))
        after = [await asyncio.wait_for(queue.get(), timeout=60)]
        elapsed = asyncio.get_running_loop().time() - started
        source.cancel()
        with pytest.raises(asyncio.CancelledError):
            await source
        return baseline, changed, during, after, elapsed

    baseline, changed, during, after, elapsed = asyncio.run(scenario())
    assert baseline == 0
    assert [e["sparkflows_model"]["version"] for e in changed] == [2]
    assert changed[0]["sparkflows_model"]["previous"]["version"] == 1
    assert changed[0]["sparkflows_model"]["id"] == 102
    assert during == 0
    assert [e["sparkflows_model"]["version"] for e in after] == [3]
    assert "listing 1 failed in a row" in caplog.text and "listing 2 failed in a row" in caplog.text
    assert "listing again after 2 failures" in caplog.text
    assert ADMIN_TOKEN not in caplog.text
    # At most one listing a second (the interval), fewer while it backed off.
    assert len(listings(emulator)) <= elapsed + 2


@pytest.mark.parametrize("args, message", [
    ({"api_url": "http://127.0.0.1:9", "models": ["churn"]}, "give api_token, or api_username"),
    ({"api_url": "http://127.0.0.1:9", "api_token": "t", "api_username": "u", "models": ["churn"]},
     "give api_token, or api_username"),
    ({"api_url": "http://127.0.0.1:9", "api_username": "u", "models": ["churn"]}, "needs api_password"),
    ({"api_token": "t", "models": ["churn"]}, "api_url is required"),
    ({"api_url": "http://127.0.0.1:9", "api_token": "t"}, "models must be a list"),
    ({"api_url": "http://127.0.0.1:9", "api_token": "t", "models": ["churn"], "interval": 0}, "interval must be"),
    ({"api_url": "http://127.0.0.1:9", "api_token": "t", "models": ["churn"], "validate_certs": "maybe"},
     "validate_certs must be a bool"),
    ({"api_url": "http://127.0.0.1:9", "api_token": "t", "models": ["churn"], "timeout": "soon"},
     "timeout must be a float"),
])
def test_a_source_missing_what_it_needs_fails_at_start(args, message):
    with pytest.raises(ValueError, match=message):
        asyncio.run(sparkflows_models.main(asyncio.Queue(), args))
