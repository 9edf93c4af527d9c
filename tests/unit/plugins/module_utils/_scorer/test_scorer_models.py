"""What a scorer_models entry must be (role scorer's validation and the balancers' backends)."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.models import problems

SELECTOR_LINE = "needs exactly one of model_id, model_uuid or model_name (stage only with model_name)"
PORT_LINE = "needs a host_port between 1 and 65535"


def model(**overrides):
    entry = dict(name="churn-model", model_id=101, host_port=8081)
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not Ellipsis}


def test_a_good_list_has_no_problems():
    assert problems([model(), model(name="upsell_v2.1", model_id=..., model_uuid="3f2a", host_port=8082),
                     model(name="Fraud", model_id=..., model_name="fraud", stage="Production", host_port="8083")]) == []


def test_an_empty_list_has_no_problems():
    assert problems([]) == []


@pytest.mark.parametrize("name", ["", "-churn", "churn model", "churn/model", "../etc", "ch\u00fcrn", ...])
def test_a_bad_or_missing_name_is_one_problem(name):
    found = problems([model(name=name)])
    assert len(found) == 1 and found[0].endswith(": needs a name (letters, digits, . _ -)")


def test_a_name_of_none_is_a_problem():
    assert problems([model(name=None)]) != []


def test_a_name_with_a_trailing_newline_is_a_problem():
    assert problems([model(name="churn-model\n")]) != []


def test_no_selector_is_a_problem():
    assert problems([model(model_id=...)]) == ["scorer_models entry churn-model: " + SELECTOR_LINE]


def test_two_selectors_are_a_problem():
    assert problems([model(model_uuid="3f2a")]) == ["scorer_models entry churn-model: " + SELECTOR_LINE]


def test_a_selector_without_a_value_is_a_problem():
    assert problems([model(model_id=None)]) != []


def test_stage_without_model_name_is_a_problem():
    assert problems([model(stage="Production")]) == ["scorer_models entry churn-model: " + SELECTOR_LINE]


@pytest.mark.parametrize("port", [..., None, 0, 70000, -1, "http", True, "", [8081]])
def test_a_missing_or_bad_host_port_is_a_problem(port):
    assert problems([model(host_port=port)]) == ["scorer_models entry churn-model: " + PORT_LINE]


@pytest.mark.parametrize("port", [1, 65535, "8081", " 8081 "])
def test_host_ports_in_range_and_as_text_are_accepted(port):
    assert problems([model(host_port=port)]) == []


def test_lb_port_is_needed_only_with_balancers():
    assert problems([model()]) == []
    assert problems([model()], with_balancers=True) == [
        "scorer_models entry churn-model: needs an lb_port between 1 and 65535 (the port of its URL on the balancers)"]
    assert problems([model(lb_port="9081")], with_balancers=True) == []
    assert len(problems([model(lb_port=0)], with_balancers=True)) == 1


def test_an_absent_entry_needs_only_a_name():
    assert problems([{"name": "old-model", "state": "absent"}], with_balancers=True) == []
    assert len(problems([{"state": "absent"}])) == 1


def test_a_bad_state_is_a_problem():
    assert problems([model(state="gone")]) == ["scorer_models entry churn-model: state must be present or absent, got gone"]


def test_two_scorers_sharing_a_name_are_a_problem():
    found = problems([model(), model(host_port=8082)])
    assert found == ["Two scorers would share a name or a host port: names churn-model, churn-model, ports 8081, 8082"]


def test_two_scorers_sharing_a_host_port_are_a_problem():
    found = problems([model(), model(name="upsell", host_port="8081")])
    assert found == ["Two scorers would share a name or a host port: names churn-model, upsell, ports 8081, 8081"]


def test_an_absent_entry_does_not_take_a_host_port():
    assert problems([model(), {"name": "old", "state": "absent", "host_port": 8081}]) == []


def test_every_problem_is_listed_at_once():
    found = problems([model(name="a b", host_port=0), model(name="upsell", model_id=..., host_port=8082)])
    assert len(found) == 3


@pytest.mark.parametrize("value, kind", [({"name": "churn-model"}, "dict"), ("churn-model", "str"), (None, "NoneType")])
def test_a_list_is_needed(value, kind):
    assert problems(value) == ["scorer_models must be a list of models, got %s" % kind]


def test_an_entry_that_is_not_a_dict_is_a_problem():
    assert problems(["churn-model"]) == ["scorer_models entry 'churn-model' is not a dict"]


@pytest.mark.parametrize("memory", ["", "0", "512m", "2g", "1.5G", "1024", "64kb", 0])
def test_sizes_the_engine_takes_are_no_problem(memory):
    assert problems([model(memory=memory)], memory=memory) == []


@pytest.mark.parametrize("cpus", [0, 0.5, 2, "1.5", "0"])
def test_cpu_limits_the_engine_takes_are_no_problem(cpus):
    assert problems([model(cpus=cpus)], cpus=cpus) == []


def test_a_bad_limit_names_the_variable_it_came_from():
    found = problems([model(memory="lots", cpus=-1)], memory="2 gigs", cpus=-0.5)
    assert found == ["scorer_memory must be a size such as 512m or 2g (empty for none), got 2 gigs",
                     "scorer_cpus must be 0 (no limit) or more CPUs, got -0.5",
                     "scorer_models entry churn-model: memory must be a size such as 512m or 2g, got lots",
                     "scorer_models entry churn-model: cpus must be 0 (no limit) or more CPUs, got -1"]


def test_an_entry_without_a_name_is_shown_without_its_env():
    found = problems([model(name="bad name", env={"DB_PASSWORD": "hunter2-in-env"})])
    assert len(found) == 1 and "hunter2-in-env" not in found[0] and "bad name" in found[0]
