"""scorer_models_problems: role scorer's validation of scorer_models, through the filter."""

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_models_problems import FilterModule, scorer_models_problems

CHURN = {"name": "churn-model", "model_id": 101, "host_port": 8081}


def test_a_good_list_has_no_problems():
    assert scorer_models_problems([CHURN]) == []


def test_with_balancers_each_model_needs_an_lb_port():
    assert scorer_models_problems([CHURN], True) == [
        "scorer_models entry churn-model: needs an lb_port between 1 and 65535 (the port of its URL on the balancers)"]
    assert scorer_models_problems([dict(CHURN, lb_port=9081)], True) == []


def test_with_balancers_is_read_as_a_truth_value():
    assert scorer_models_problems([CHURN], 0) == [] and len(scorer_models_problems([CHURN], 1)) == 1


def test_the_role_wide_limits_are_checked_too():
    assert scorer_models_problems([CHURN], False, "512m", 1.5) == []
    assert scorer_models_problems([CHURN], False, "huge", -1) == [
        "scorer_memory must be a size such as 512m or 2g (empty for none), got huge",
        "scorer_cpus must be 0 (no limit) or more CPUs, got -1"]


def test_a_bad_input_is_a_problem_line_not_an_error():
    assert scorer_models_problems("churn-model") == ["scorer_models must be a list of models, got str"]


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"scorer_models_problems": scorer_models_problems}


def test_a_host_s_problems_name_it_and_its_image_and_an_empty_list_are_checked():
    assert scorer_models_problems([CHURN], host="scorer1", image="registry.example/scorer") == []
    assert scorer_models_problems([], False, "huge", host="scorer1", image="") == [
        "scorer1: scorer_image is not set (the scorer image repository, without a tag)",
        "scorer1: scorer_models lists no model (set at least one)",
        "scorer1: scorer_memory must be a size such as 512m or 2g (empty for none), got huge"]
