"""The mlflow_host_served_plan filter: the role's inputs as the plan takes them - a registry URI
pinned to the version it resolved to, a sample as a mapping (JSON text of one too) - and a clear
error for what it cannot take."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.mlflow_host_served_plan import mlflow_host_served_plan

SLOTS = {"churn": {"blue": {"instance": "churn", "port": 15001, "backend": "model-churn-blue"},
                   "green": {"instance": "churn:green", "port": 25001, "backend": "model-churn-green"}}}
BODY = {"dataframe_split": {"columns": ["x"], "data": [[1]]}}


def served(**model):
    return dict({"name": "churn", "model_uri": "models:/churn@champion", "port": 5001}, **model)


def planned(model, resolved=()):
    [result] = mlflow_host_served_plan({"models": [model], "resolved": list(resolved), "state": {}, "slots": SLOTS,
                                        "tls": True})["models"]
    return result


def test_an_alias_is_planned_pinned_to_the_version_it_resolved_to():
    resolved = [{"item": served(), "pinned_uri": "models:/churn/7"}]
    assert planned(served(), resolved)["uri"] == "models:/churn/7"
    assert planned(served(model_uri="runs:/abc/model"))["uri"] == "runs:/abc/model"


@pytest.mark.parametrize("sample", [BODY, '{"dataframe_split": {"columns": ["x"], "data": [[1]]}}'])
def test_a_sample_is_taken_as_a_mapping_or_json_text_of_one(sample):
    assert planned(served(sample=sample))["sample"] == BODY


@pytest.mark.parametrize("sample", [None, {}, ""])
def test_no_sample_is_none(sample):
    assert planned(served(sample=sample))["sample"] is None


@pytest.mark.parametrize("sample", ["x=1", "[1, 2]", "not json"])
def test_a_sample_text_that_is_no_json_mapping_is_refused_naming_the_model(sample):
    with pytest.raises(AnsibleFilterError, match="served model churn: sample must be a mapping"):
        planned(served(sample=sample))


def test_inputs_without_slots_are_refused():
    with pytest.raises(AnsibleFilterError, match="takes a dict with models, state, slots"):
        mlflow_host_served_plan({"models": []})
