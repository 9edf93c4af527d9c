"""Which model the client picks (SparkflowsClient.select_model and latest_model): the highest
version, versions compared as numbers, then the highest id. In every fixture here the newest
version has a LOWER id than an older one, so an order that looked at ids first would pick the
wrong model (issue #24: every earlier fixture gave the newest version the highest id)."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    SparkflowsClient,
    SparkflowsError,
)

MODELS = [
    {"id": 205, "uuid": "u-205", "name": "churn-model", "version": 1, "stage": "Production"},
    {"id": 203, "uuid": "u-203", "name": "churn-model", "version": 3, "stage": "Staging"},
    {"id": 204, "uuid": "u-204", "name": "churn-model", "version": 2, "stage": "Production"},
    {"id": 209, "uuid": "u-209", "name": "fraud-model", "version": 7, "stage": "Production"},
    {"id": 201, "uuid": "u-201", "name": "churn-model", "version": "10", "stage": "Archived"},
]


class Listed(SparkflowsClient):
    """A client whose model repository is a list (nothing is asked of a server)."""

    def __init__(self, models):
        super(Listed, self).__init__("http://127.0.0.1:9", api_token="unused")
        self.models = models

    def output_models(self):
        return [dict(m) for m in self.models]


def test_the_latest_version_wins_over_a_higher_id():
    client = Listed(MODELS)
    # Version "10" (a string, id 201, the lowest) is newer than 3, 2 and 1.
    assert client.select_model(model_name="churn-model")["id"] == 201
    assert client.select_model(model_name="churn-model", stage="Production")["id"] == 204
    assert client.select_model(model_name="churn-model", stage="Staging")["id"] == 203
    assert client.select_model(model_name="fraud-model")["id"] == 209


def test_latest_model_orders_by_version_before_id():
    client = Listed([])
    assert client.latest_model(MODELS[:3], "churn-model")["id"] == 203
    assert client.latest_model(list(reversed(MODELS[:3])), "churn-model")["id"] == 203


def test_the_same_version_twice_takes_the_higher_id_as_a_number():
    client = Listed([])
    same = [{"id": "9", "version": 4}, {"id": "10", "version": 4}, {"id": "99", "version": 3}]
    # "10" > "9" as numbers (as text "9" would win); version 3's higher id does not count.
    assert client.latest_model(same, "m")["id"] == "10"
    assert client.latest_model(list(reversed(same)), "m")["id"] == "10"


def test_an_id_or_uuid_selects_that_model_whatever_its_version():
    client = Listed(MODELS)
    assert client.select_model(model_id="205")["version"] == 1
    assert client.select_model(model_id=205)["uuid"] == "u-205"
    with pytest.raises(SparkflowsError, match="No model with id 206 in the Sparkflows model repository"):
        client.select_model(model_id="206")


def test_a_name_or_stage_not_found_is_an_error():
    client = Listed(MODELS)
    with pytest.raises(SparkflowsError, match="^No model named churn-model in stage Retired in the Sparkflows"):
        client.select_model(model_name="churn-model", stage="Retired")
    with pytest.raises(SparkflowsError, match="^No model named nope in the Sparkflows model repository$"):
        client.select_model(model_name="nope")


def test_an_unreadable_version_is_a_clear_error():
    client = Listed([{"id": 1, "name": "m", "version": "v2"}, {"id": 2, "name": "m", "version": 1}])
    with pytest.raises(SparkflowsError, match=r"^GET http://127.0.0.1:9/api/v1/mlmodel/OutputModels: "
                                              r"unrecognised answer for model m: model version 'v2'"):
        client.select_model(model_name="m")
