"""_mlflow.served_slots: the blue/green plan of served models. A new version starts in the idle
slot and serves once switched to; the version the idle slot holds is a switch only; the slot that
served before keeps running; nothing to do is nothing done; without TLS the one slot restarts in
place; the state kept says what runs where after the run, and planning from it again is a no-op."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.ports import layout
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.served_slots import plan


def slots(tls=True, names=("churn",)):
    return layout(dict(tls=tls, port_offset=10000, tracking_port=5000, fire_mlops_enabled=False,
                       models=[dict(name=name, port=5001 + i) for i, name in enumerate(names)]))["slots"]


def churn(version, port=5001):
    return dict(name="churn", uri="models:/churn/%s" % version, port=port)


def settings(version, port=5001):
    return dict(uri="models:/churn/%s" % version, port=port)


def only(result):
    [model] = result["models"]
    return model


def test_a_new_host_starts_the_idle_slot_and_switches_to_it():
    result = plan([churn(1)], {}, slots(), tls=True)
    model = only(result)
    assert (model["deploy"], model["instance"], model["port"], model["live"], model["switch"]) \
        == ("green", "churn:green", 25001, "green", True)
    assert (model["live_instance"], model["live_port"], model["started"]) == ("churn:green", 25001, ["churn:green"])
    assert (model["frontend"], model["live_backend"]) == ("model-churn", "model-churn-green")
    assert result["state"] == {"churn": {"live": "green", "green": settings(1)}}


def test_a_new_version_starts_in_the_idle_slot_and_the_previous_keeps_running():
    held = {"churn": {"live": "green", "green": settings(1)}}
    result = plan([churn(2)], held, slots(), tls=True)
    model = only(result)
    assert (model["deploy"], model["instance"], model["port"], model["live"], model["previous"], model["switch"]) \
        == ("blue", "churn", 15001, "blue", "green", True)
    assert sorted(model["started"]) == ["churn", "churn:green"]
    assert result["state"] == {"churn": {"live": "blue", "blue": settings(2), "green": settings(1)}}
    # Run again: nothing to start, nothing to switch.
    again = only(plan([churn(2)], result["state"], slots(), tls=True))
    assert (again["deploy"], again["switch"], again["live"]) == (None, False, "blue")


def test_the_version_the_idle_slot_serves_is_a_switch_back_without_a_start():
    held = {"churn": {"live": "blue", "blue": settings(2), "green": settings(1)}}
    result = plan([churn(1)], held, slots(), tls=True)
    model = only(result)
    assert (model["deploy"], model["instance"], model["live"], model["live_port"], model["switch"]) \
        == (None, None, "green", 25001, True)
    assert result["state"]["churn"] == dict(held["churn"], live="green")


def test_a_third_version_replaces_the_idle_slot_not_the_live_one():
    held = {"churn": {"live": "blue", "blue": settings(2), "green": settings(1)}}
    result = plan([churn(3)], held, slots(), tls=True)
    assert (only(result)["deploy"], only(result)["live"]) == ("green", "green")
    assert result["state"]["churn"] == {"live": "green", "blue": settings(2), "green": settings(3)}


def test_a_new_port_is_a_new_deployment_too():
    held = {"churn": {"live": "blue", "blue": settings(1)}}
    assert only(plan([churn(1, port=5002)], held, slots(), tls=True))["deploy"] == "green"


def test_a_changed_unit_or_client_environment_starts_the_idle_slot_anew():
    held = {"churn": {"live": "blue", "blue": settings(1), "green": settings(0)}}
    model = only(plan([churn(1)], held, slots(), tls=True, redeploy=True))
    assert (model["deploy"], model["live"], model["switch"]) == ("green", "green", True)


def test_without_tls_the_one_slot_restarts_in_place_and_green_stops():
    held = {"churn": {"live": "green", "blue": settings(1), "green": settings(2)}}
    result = plan([churn(2)], held, slots(tls=False), tls=False)
    model = only(result)
    assert (model["deploy"], model["instance"], model["port"], model["live"], model["switch"]) \
        == ("blue", "churn", 5001, "blue", False)
    assert (model["started"], model["stopped"]) == (["churn"], ["churn:green"])
    assert model["unhealthy"] == "Served model churn: models:/churn/2 in slot blue did not answer /ping; it is not served"
    assert result["state"] == {"churn": {"live": "blue", "blue": settings(2)}}
    # Unchanged: nothing restarts.
    assert only(plan([churn(2)], result["state"], slots(tls=False), tls=False))["deploy"] is None


@pytest.mark.parametrize("held", [None, "text", {"churn": "text"}, {"churn": {"live": "red", "blue": "x"}}])
def test_a_state_it_does_not_recognise_is_no_state(held):
    model = only(plan([churn(1)], held, slots(), tls=True))
    assert (model["previous"], model["deploy"], model["live"]) == ("blue", "green", "green")


def test_models_marked_absent_leave_the_state_and_models_not_named_keep_theirs():
    held = {"churn": {"live": "blue", "blue": settings(1)}, "gone": {"live": "blue", "blue": settings(1)},
            "other": {"live": "green", "green": settings(4)}}
    result = plan([churn(1)], held, slots(), tls=True, absent=["gone"])
    # "other" is served by a play with another list: this run does not touch it.
    assert result["state"] == {"churn": held["churn"], "other": held["other"]}
    assert plan([], held, {}, tls=True)["state"] == held


def test_each_model_is_planned_on_its_own():
    held = {"churn": {"live": "blue", "blue": settings(1)}}
    result = plan([churn(1), dict(name="fraud", uri="models:/fraud/4", port=5002)], held,
                  slots(names=("churn", "fraud")), tls=True)
    assert [(m["name"], m["deploy"], m["live_port"]) for m in result["models"]] \
        == [("churn", None, 15001), ("fraud", "green", 25002)]


def test_a_failed_health_check_says_which_version_keeps_serving():
    held = {"churn": {"live": "blue", "blue": settings(1)}}
    assert only(plan([churn(2)], held, slots(), tls=True))["unhealthy"] == (
        "Served model churn: models:/churn/2 in slot green did not answer /ping; requests still go to slot blue "
        "(models:/churn/1)")
    assert only(plan([churn(1)], {}, slots(), tls=True))["unhealthy"].endswith("did not answer /ping; it is not served")


def test_the_instances_of_models_marked_absent_are_both_slots():
    result = plan([], {}, {}, tls=True, absent=["churn"])
    assert (result["removed"], result["removed_frontends"]) == (["churn", "churn:green"], ["model-churn"])


def test_a_slot_that_failed_its_check_holds_nothing_known_and_its_version_asked_again_starts_anew():
    # Version 2 serves from blue, version 1 waits in green; version 3 is started in green and fails.
    held = {"churn": {"live": "blue", "blue": settings(2), "green": settings(1)},
            "other": {"live": "green", "green": settings(4)}}
    failed = plan([churn(3)], held, slots(), tls=True)["state_if_failed"]
    # Blue still serves; green's version 1 is gone (its settings were rewritten, the slot stopped);
    # a model this run did not name keeps its state.
    assert failed == {"churn": {"live": "blue", "blue": settings(2)}, "other": held["other"]}
    # Asking for version 1 again then starts green anew, not a switch to a stopped slot.
    again = only(plan([churn(1)], failed, slots(), tls=True))
    assert (again["deploy"], again["live"], again["switch"]) == ("green", "green", True)


def test_a_failed_run_keeps_every_switch_undone_the_slot_switched_to_unknown_and_the_models_to_remove():
    held = {"churn": {"live": "blue", "blue": settings(2), "green": settings(1)},
            "gone": {"live": "blue", "blue": settings(1)},
            "steady": {"live": "green", "green": dict(uri="models:/steady/7", port=5003)}}
    # A switch back to green, planned alongside a new model and one that stays as it is.
    result = plan([churn(1), dict(name="fraud", uri="models:/fraud/4", port=5002),
                   dict(name="steady", uri="models:/steady/7", port=5003)], held,
                  slots(names=("churn", "fraud", "steady")), tls=True, absent=["gone"])
    assert result["state"]["churn"]["live"] == "green"
    assert [(m["name"], m["on_trial"]) for m in result["models"]] == [("churn", True), ("fraud", True), ("steady", False)]
    # The proxy switched nothing; green, switched to, may be what failed: it is started anew next
    # time. The model that stays keeps all it has; the model to remove is still there.
    assert result["state_if_failed"] == {"churn": {"live": "blue", "blue": settings(2)}, "gone": held["gone"],
                                         "fraud": {"live": "blue"}, "steady": held["steady"]}
    again = only(plan([churn(1)], {"churn": result["state_if_failed"]["churn"]}, slots(), tls=True))
    assert (again["deploy"], again["live"]) == ("green", "green")


def test_after_a_failed_redeploy_no_slot_holds_anything_known():
    held = {"churn": {"live": "blue", "blue": settings(2), "green": settings(1)}}
    failed = plan([churn(2)], held, slots(), tls=True, redeploy=True)["state_if_failed"]
    assert failed == {"churn": {"live": "blue"}}
    # The next run (its files already rewritten: no redeploy) starts the version anew.
    assert only(plan([churn(2)], failed, slots(), tls=True))["deploy"] == "green"
    # Without TLS too: the one slot restarts.
    plain = {"churn": {"live": "blue", "blue": settings(2)}}
    assert plan([churn(2)], plain, slots(tls=False), tls=False, redeploy=True)["state_if_failed"] == {"churn": {"live": "blue"}}
    assert only(plan([churn(2)], {"churn": {"live": "blue"}}, slots(tls=False), tls=False))["deploy"] == "blue"


def test_a_model_with_a_sample_must_score_it_and_failing_to_says_which_version_serves():
    held = {"churn": {"live": "blue", "blue": settings(1)}}
    sample = {"dataframe_split": {"columns": ["x"], "data": [[1]]}}
    model = only(plan([dict(churn(2), sample=sample)], held, slots(), tls=True))
    assert model["sample"] == sample
    assert model["unscored"] == ("Served model churn: models:/churn/2 in slot green did not score its sample; requests "
                                 "still go to slot blue (models:/churn/1)")
    # The sample is no setting of the slot: adding one starts nothing, and the state holds none.
    result = plan([dict(churn(1), sample=sample)], held, slots(), tls=True)
    assert (only(result)["deploy"], result["state"]) == (None, held)
    plain = only(plan([churn(2)], held, slots(), tls=True))
    assert (plain["sample"], plain["unscored"]) == (None, None)


def test_a_check_failing_on_the_slot_that_serves_unchanged_says_nothing_was_changed():
    held = {"churn": {"live": "blue", "blue": settings(1)}}
    model = only(plan([dict(churn(1), sample={"inputs": [1]})], held, slots(), tls=True))
    assert model["unhealthy"].endswith("in slot blue did not answer /ping; nothing was changed, it is the slot that serves")
    assert model["unscored"].endswith("did not score its sample; nothing was changed, it is the slot that serves")


def test_a_slot_that_does_not_start_is_named_with_the_version_that_serves():
    held = {"churn": {"live": "blue", "blue": settings(1)}}
    model = only(plan([churn(2)], held, slots(), tls=True))
    assert model["unstarted"] == ("Served model churn: models:/churn/2 in slot green did not start; requests still go "
                                  "to slot blue (models:/churn/1)")
    assert model["on_trial"] is True
    assert only(plan([churn(1)], held, slots(), tls=True))["on_trial"] is False
