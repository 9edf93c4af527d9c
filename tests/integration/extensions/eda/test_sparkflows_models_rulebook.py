"""The sparkflows_models event source under the real ansible-rulebook against the Sparkflows
emulator: found in the collection as sparkflows.mlops.sparkflows_models, with the collection's
Sparkflows client importable from it; a new version of a watched model fires the rule once; the
API token, given in the environment (--env-vars), is in no line of its -vv output."""

import json
import time

from emulator.fixtures import ADMIN_TOKEN
from utils.rulebook import running_rulebook

MODELS = [{"id": 101, "uuid": "u-101", "name": "churn-model", "version": 1, "stage": "Production",
           "modelType": "sklearn"}]


def test_a_new_version_fires_the_rule_once(tmp_path, emulator):
    listing = emulator.models_dir / "models.json"
    listing.write_text(json.dumps(MODELS))
    arguments = {"api_url": emulator.url, "api_token": "{{ SPARKFLOWS_API_TOKEN }}",
                 "models": [{"name": "churn-model", "stage": "Production"}], "interval": 1}
    rule = {"name": "New churn version", "condition": 'event.sparkflows_model.name == "churn-model"',
            "action": {"debug": {"msg": "roll {{ event.sparkflows_model.name }} version "
                                        "{{ event.sparkflows_model.version }} (was "
                                        "{{ event.sparkflows_model.previous.version }})"}}}
    with running_rulebook(tmp_path, "sparkflows_models", arguments, [rule], {"SPARKFLOWS_API_TOKEN": ADMIN_TOKEN},
                          "sparkflows_models: watching churn-model@Production") as rulebook:
        # The baseline listed (the emulator saw a listing), then a new version in the stage watched.
        deadline = time.monotonic() + 30
        while not any(r["path"] == "/api/v1/mlmodel/OutputModels" for r in emulator.requests()):
            assert time.monotonic() < deadline, rulebook.output()[-4000:]
            time.sleep(0.5)
        listing.write_text(json.dumps(MODELS + [dict(MODELS[0], id=102, uuid="u-102", version=2)]))
        assert rulebook.wait_for("roll churn-model version 2 (was 1)", timeout=60), rulebook.output()[-4000:]
        output = rulebook.output()
    assert output.count("roll churn-model version 2 (was 1)") == 1
    assert ADMIN_TOKEN not in output
