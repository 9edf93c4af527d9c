"""scorer_lb_backends: the balancer backends from the scorer hosts' variables (hostvars as a
plain dict of dicts), the address a balancer reaches each host at, and refusals as filter errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_lb_backends import scorer_lb_backends

CHURN = {"name": "churn-model", "model_id": 101, "host_port": 8081, "lb_port": 9081}


def test_each_host_is_a_server_at_its_lb_address_else_ansible_host_else_its_name():
    hostvars = {
        "scorer1": {"scorer_models": [CHURN], "scorer_lb_address": "10.0.1.11", "ansible_host": "192.0.2.11"},
        "scorer2": {"scorer_models": [CHURN], "ansible_host": "192.0.2.12"},
        "scorer3.example.net": {"scorer_models": [CHURN]},
    }
    [backend] = scorer_lb_backends(["scorer1", "scorer2", "scorer3.example.net"], hostvars)
    assert (backend["name"], backend["model"], backend["port"]) == ("scorer_churn-model", "churn-model", 9081)
    assert [(s["name"], s["address"], s["port"]) for s in backend["servers"]] == [
        ("scorer1", "10.0.1.11", 8081), ("scorer2", "192.0.2.12", 8081), ("scorer3.example.net", "scorer3.example.net", 8081)]


def test_only_the_hosts_given_are_read():
    hostvars = {"scorer1": {"scorer_models": [CHURN]}, "scorer2": {"scorer_models": [dict(CHURN, lb_port=1)]}}
    assert [s["name"] for s in scorer_lb_backends(["scorer1"], hostvars)[0]["servers"]] == ["scorer1"]


@pytest.mark.parametrize("hosts", [[], None])
def test_no_hosts_no_backends(hosts):
    assert scorer_lb_backends(hosts, {}) == []


def test_a_host_without_scorer_models_serves_nothing():
    assert scorer_lb_backends(["scorer1"], {"scorer1": {"scorer_models": None}}) == []


def test_disagreeing_lb_ports_are_a_filter_error():
    hostvars = {"scorer1": {"scorer_models": [CHURN]}, "scorer2": {"scorer_models": [dict(CHURN, lb_port=9999)]}}
    with pytest.raises(AnsibleFilterError, match="model churn-model has lb_port 9999 on scorer2 but 9081 elsewhere"):
        scorer_lb_backends(["scorer1", "scorer2"], hostvars)


def test_a_bad_model_list_is_a_filter_error_naming_the_host():
    with pytest.raises(AnsibleFilterError, match="^scorer1: scorer_models entry churn-model: needs an lb_port"):
        scorer_lb_backends(["scorer1"], {"scorer1": {"scorer_models": [dict(CHURN, lb_port=None)]}})
