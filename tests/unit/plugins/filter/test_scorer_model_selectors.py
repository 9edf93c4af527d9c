"""scorer_model_selectors: a host's models, each as sparkflows_model_info takes it (keyed by name,
the selector fields only)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_model_selectors import scorer_model_selectors

CHURN = {"name": "churn", "model_name": "churn-model", "stage": "Production", "host_port": 8081, "lb_port": 9081,
         "env": {"DB_PASSWORD": "secret"}, "sample": {"columns": []}}
FRAUD = {"name": "fraud", "model_id": 102, "file_type": "bin", "host_port": 8082}


def test_each_model_with_its_selector_fields_only():
    assert scorer_model_selectors([CHURN, FRAUD]) == [
        {"key": "churn", "model_name": "churn-model", "stage": "Production"},
        {"key": "fraud", "model_id": 102, "file_type": "bin"}]


def test_models_of_state_absent_are_left_out():
    assert scorer_model_selectors([dict(FRAUD, state="absent"), CHURN]) == [
        {"key": "churn", "model_name": "churn-model", "stage": "Production"}]


@pytest.mark.parametrize("given", [None, "churn", {"name": "churn"}])
def test_anything_but_a_list_is_refused(given):
    with pytest.raises(AnsibleFilterError, match="scorer_model_selectors takes the scorer_models list"):
        scorer_model_selectors(given)
