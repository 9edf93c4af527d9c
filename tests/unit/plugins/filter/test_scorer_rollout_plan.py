"""scorer_rollout_plan: the rollout plan through the filter, its refusals as filter errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_rollout_plan import FilterModule, scorer_rollout_plan


def test_the_filter_plans_and_reads_its_flags_as_ansible_gives_them():
    hostvars = {"s1": {"scorer_present": {"scorers": []}, "scorer_orphans": [],
                       "scorer_fetched": {"results": [{"item": {"name": "churn"}, "changed": True}]}}}
    plan = scorer_rollout_plan(["s1"], hostvars, canary=1, balancers=("lb1",))
    assert plan["rolling"] == ["s1"] and plan["canary"] == "s1"
    assert scorer_rollout_plan(["s1"], hostvars)["canary"] is None


def test_a_host_without_reads_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="scorer host s1 has no reads to plan from"):
        scorer_rollout_plan(["s1"], {"s1": {}})


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"scorer_rollout_plan": scorer_rollout_plan}
