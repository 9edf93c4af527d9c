"""scorer_lb_backend: the balancer backend (and frontend) name of a model."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_lb_backend import FilterModule, scorer_lb_backend


@pytest.mark.parametrize("model, backend", [("churn-model", "scorer_churn-model"), ("Upsell_v2.1", "scorer_Upsell_v2.1"),
                                            (101, "scorer_101")])
def test_the_backend_is_the_prefix_and_the_model_name(model, backend):
    assert scorer_lb_backend(model) == backend


@pytest.mark.parametrize("model", ["", "churn model", "-churn", "churn/model", "churn{model}"])
def test_a_text_that_is_no_model_name_is_refused(model):
    with pytest.raises(AnsibleFilterError, match="is not a model name"):
        scorer_lb_backend(model)


def test_a_name_with_a_trailing_newline_is_refused():
    with pytest.raises(AnsibleFilterError):
        scorer_lb_backend("churn-model\n")


def test_none_is_refused():
    with pytest.raises(AnsibleFilterError):
        scorer_lb_backend(None)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"scorer_lb_backend": scorer_lb_backend}
