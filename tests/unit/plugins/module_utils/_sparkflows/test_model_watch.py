"""The sparkflows_models source's rules: which listing of the model repository makes an event
(a watched model's latest version or record changed), the first listing a baseline, a model
missing or unreadable named once, and the waits between listings bounded."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import model_watch
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import SparkflowsClient

LATEST = SparkflowsClient("http://127.0.0.1:9", api_token="t").latest_model


def model(version, stage="Production", name="churn", model_id=None):
    return {"id": model_id or 100 + version, "uuid": "u-%d" % version, "name": name, "version": version,
            "stage": stage, "modelType": "sklearn"}


def test_the_first_listing_is_the_baseline_and_a_new_version_is_one_event():
    watch = model_watch.ModelWatch([("churn", None)])
    assert watch.changes([model(1)], LATEST) == []
    assert watch.changes([model(1)], LATEST) == []
    [event] = watch.changes([model(1), model(2, "Staging")], LATEST)
    assert event == {"sparkflows_model": {"id": 102, "uuid": "u-2", "name": "churn", "version": 2, "stage": "Staging",
                                          "watched_stage": None, "previous": {"id": 101, "uuid": "u-1",
                                                                              "name": "churn", "version": 1,
                                                                              "stage": "Production"}}}
    assert watch.changes([model(1), model(2, "Staging")], LATEST) == []


def test_a_stage_watched_sees_only_its_stage():
    watch = model_watch.ModelWatch([("churn", "Production")])
    watch.changes([model(1)], LATEST)
    assert watch.changes([model(1), model(2, "Staging")], LATEST) == []
    [event] = watch.changes([model(1), model(2, "Staging"), model(3)], LATEST)
    assert (event["sparkflows_model"]["version"], event["sparkflows_model"]["watched_stage"]) == (3, "Production")


def test_versions_compare_as_numbers():
    watch = model_watch.ModelWatch([("churn", None)])
    watch.changes([model(9)], LATEST)
    [event] = watch.changes([model(9), model(10)], LATEST)
    assert event["sparkflows_model"]["version"] == 10


def test_another_record_of_the_same_version_is_an_event_and_a_new_uuid_alone_is_not():
    watch = model_watch.ModelWatch([("churn", None)])
    watch.changes([model(1)], LATEST)
    assert len(watch.changes([model(1, stage="Archived")], LATEST)) == 1
    assert watch.changes([dict(model(1, stage="Archived"), uuid="other")], LATEST) == []


def test_emit_initial_makes_the_first_listing_events():
    watch = model_watch.ModelWatch([("churn", None), ("fraud", None)], emit_initial=True)
    events = watch.changes([model(1), model(4, name="fraud", model_id=7)], LATEST)
    assert sorted((e["sparkflows_model"]["name"], e["sparkflows_model"]["previous"]) for e in events) == \
        [("churn", None), ("fraud", None)]


def test_a_model_missing_keeps_its_last_record_and_says_why():
    watch = model_watch.ModelWatch([("churn", None), ("churn", "Shadow")])
    watch.changes([model(1)], LATEST)
    assert watch.missing == {("churn", "Shadow"): "no model named churn in stage Shadow"}
    assert watch.changes([], LATEST) == []
    assert watch.missing[("churn", None)] == "no model named churn"
    assert watch.changes([model(1)], LATEST) == []
    # An older version enters the watched stage: its watch's first record, the other's unchanged.
    [event] = watch.changes([model(1), model(0, stage="Shadow")], LATEST)
    assert event["sparkflows_model"]["previous"] is None and event["sparkflows_model"]["watched_stage"] == "Shadow"


def test_a_version_the_client_cannot_read_is_named_and_makes_no_event():
    watch = model_watch.ModelWatch([("churn", None)])
    watch.changes([model(1)], LATEST)
    assert watch.changes([model(1), dict(model(2), version="two")], LATEST) == []
    assert "model version 'two' is not a number" in watch.missing[("churn", None)]


@pytest.mark.parametrize("models, message", [
    ([], "at least one"), ("churn", "at least one"), ([{"stage": "Production"}], "neither a model name"),
    ([{"name": "churn", "stage": 3}], "neither a model name"), ([""], "neither a model name"),
])
def test_watched_models_refuse_what_names_no_model(models, message):
    with pytest.raises(ValueError, match=message):
        model_watch.watched_models(models)


def test_watched_models_take_names_and_mappings_once_each():
    assert model_watch.watched_models(["churn", {"name": "churn", "stage": "Production"}, "churn"]) == \
        [("churn", None), ("churn", "Production")]


def test_waits_double_after_each_failure_up_to_the_backoff():
    assert [model_watch.next_wait(5, 60, failures) for failures in range(6)] == [5, 10, 20, 40, 60, 60]


def test_a_week_of_failures_still_waits_the_backoff():
    # 2 ** 1100 is past a float's range: the exponent stops growing.
    assert model_watch.next_wait(600, 600, 1100) == 600


@pytest.mark.parametrize("args, message", [({"interval": 0.5}, "interval must be 1 to 3600"),
                                           ({"interval": 7200}, "interval must be 1 to 3600"),
                                           ({"interval": 30, "max_backoff": 10}, "at least the interval")])
def test_intervals_are_bounded(args, message):
    with pytest.raises(ValueError, match=message):
        model_watch.interval_and_backoff(args)


def test_the_defaults_are_a_minute_and_ten():
    assert model_watch.interval_and_backoff({}) == (60, 600)


def test_a_watched_model_missing_or_unreadable_does_not_hide_the_next_one():
    watch = model_watch.ModelWatch([("gone", None), ("churn", None)])
    assert watch.missing == {}
    watch.changes([model(1)], LATEST)
    assert len(watch.changes([model(1), model(2)], LATEST)) == 1
    unreadable = model_watch.ModelWatch([("fraud", None), ("churn", None)])
    unreadable.changes([model(1)], LATEST)
    assert len(unreadable.changes([model(2), dict(model(5, name="fraud"), version="v5")], LATEST)) == 1
    assert "for model fraud" in unreadable.missing[("fraud", None)]


def test_the_edges_of_the_bounds_are_allowed():
    assert model_watch.interval_and_backoff({"interval": 1, "max_backoff": 1}) == (1, 1)
    assert model_watch.interval_and_backoff({"interval": 3600, "max_backoff": 3600}) == (3600, 3600)


def test_a_watched_entry_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="neither a model name"):
        model_watch.watched_models([3])
