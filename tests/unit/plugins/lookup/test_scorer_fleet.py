"""scorer_fleet: the contract between roles scorer and scorer_lb - each balancer's socket, the
networks the scorer hosts let in, the balancer backends of the scorer hosts - read from hostvars
(a plain dict of dicts here), with refusals as lookup errors; and the default socket is role
scorer_lb's."""

import json
import os
import pathlib
import subprocess

import pytest
import yaml
from ansible.errors import AnsibleLookupError

from ansible_collections.sparkflows.mlops.plugins.lookup.scorer_fleet import fleet
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import DEFAULT_SOCKET
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import HEALTH_PATH
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import BALANCER_GROUP, SCORER_GROUP

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]
CHURN = {"name": "churn-model", "model_id": 101, "host_port": 8081, "lb_port": 9081}


def facts(ipv4=None, ipv6=None):
    return {"ansible_facts": {"default_ipv4": {"address": ipv4} if ipv4 else {},
                              "default_ipv6": {"address": ipv6} if ipv6 else {}}}


def test_each_balancer_with_its_socket_else_role_scorer_lbs_default():
    hostvars = {"lb1": dict(facts("192.0.2.10"), scorer_lb_socket="/run/haproxy/other.sock"), "lb2": {}}
    assert fleet("balancers", ["lb1", "lb2"], hostvars) == [
        {"name": "lb1", "socket": "/run/haproxy/other.sock", "addresses": ["192.0.2.10"]},
        {"name": "lb2", "socket": DEFAULT_SOCKET, "addresses": []}]
    defaults = yaml.safe_load((REPO_ROOT / "roles" / "scorer_lb" / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((REPO_ROOT / "roles" / "scorer_lb" / "meta" / "argument_specs.yml").read_text())
    assert defaults["scorer_lb_socket"] == DEFAULT_SOCKET
    assert specs["argument_specs"]["main"]["options"]["scorer_lb_socket"]["default"] == DEFAULT_SOCKET


def test_the_sources_are_the_default_addresses_of_the_facts_when_none_are_set():
    hostvars = {"lb1": facts("192.0.2.10", "2001:db8::10"), "lb2": facts("192.0.2.20")}
    assert fleet("sources", ["lb1", "lb2"], hostvars) == dict(ipv4=["192.0.2.10/32", "192.0.2.20/32"],
                                                              ipv6=["2001:db8::10/128"])


def test_set_source_addresses_win_over_the_facts():
    hostvars = {"lb1": dict(facts("192.0.2.10"), scorer_lb_source_addresses=["10.8.0.0/24"])}
    assert fleet("sources", ["lb1"], hostvars) == dict(ipv4=["10.8.0.0/24"], ipv6=[])


@pytest.mark.parametrize("host_vars", [{}, {"ansible_facts": {}}, facts(), {"scorer_lb_source_addresses": []}])
def test_a_balancer_without_addresses_or_facts_is_refused_naming_it(host_vars):
    with pytest.raises(AnsibleLookupError, match="^balancer lb1 has no address the scorer hosts see it from"):
        fleet("sources", ["lb1"], {"lb1": host_vars})


def test_a_bad_address_is_refused():
    with pytest.raises(AnsibleLookupError, match="balancer lb1: 'lb1.example.net' is not an IP address or network"):
        fleet("sources", ["lb1"], {"lb1": {"scorer_lb_source_addresses": ["lb1.example.net"]}})


def test_each_scorer_host_is_a_server_at_its_lb_address_else_ansible_host_else_its_name():
    hostvars = {
        "scorer1": {"scorer_models": [CHURN], "scorer_lb_address": "10.0.1.11", "ansible_host": "192.0.2.11"},
        "scorer2": {"scorer_models": [CHURN], "ansible_host": "192.0.2.12"},
        "scorer3.example.net": {"scorer_models": [CHURN]},
    }
    [backend] = fleet("backends", ["scorer1", "scorer2", "scorer3.example.net"], hostvars)
    assert (backend["name"], backend["model"], backend["port"]) == ("scorer_churn-model", "churn-model", 9081)
    assert [(s["name"], s["address"], s["port"]) for s in backend["servers"]] == [
        ("scorer1", "10.0.1.11", 8081), ("scorer2", "192.0.2.12", 8081), ("scorer3.example.net", "scorer3.example.net", 8081)]


def test_each_backend_is_checked_on_the_route_its_scorer_hosts_serve():
    """The one health route: role scorer's scorer_health_path (its default when unset), the same
    on every host serving a model, else refused naming it."""
    hostvars = {"scorer1": {"scorer_models": [CHURN], "scorer_health_path": "/ready"},
                "scorer2": {"scorer_models": [CHURN], "scorer_health_path": "/ready"}}
    assert fleet("backends", ["scorer1", "scorer2"], hostvars)[0]["health_path"] == "/ready"
    defaults = yaml.safe_load((REPO_ROOT / "roles" / "scorer" / "defaults" / "main.yml").read_text())
    assert fleet("backends", ["scorer1"], {"scorer1": {"scorer_models": [CHURN]}})[0]["health_path"] == \
        defaults["scorer_health_path"] == HEALTH_PATH
    hostvars["scorer2"]["scorer_health_path"] = "/health"
    with pytest.raises(AnsibleLookupError, match="model churn-model: scorer_health_path is /health on scorer2 but /ready"):
        fleet("backends", ["scorer1", "scorer2"], hostvars)


def test_only_the_hosts_given_are_read_and_none_give_nothing():
    hostvars = {"scorer1": {"scorer_models": [CHURN]}, "scorer2": {"scorer_models": [dict(CHURN, lb_port=1)]}}
    assert [s["name"] for s in fleet("backends", ["scorer1"], hostvars)[0]["servers"]] == ["scorer1"]
    assert fleet("backends", [], {}) == [] and fleet("balancers", [], {}) == []
    assert fleet("sources", [], {}) == dict(ipv4=[], ipv6=[])
    assert fleet("backends", ["scorer1"], {"scorer1": {"scorer_models": None}}) == []


def test_disagreeing_lb_ports_are_refused():
    hostvars = {"scorer1": {"scorer_models": [CHURN]}, "scorer2": {"scorer_models": [dict(CHURN, lb_port=9999)]}}
    with pytest.raises(AnsibleLookupError, match="model churn-model has lb_port 9999 on scorer2 but 9081 elsewhere"):
        fleet("backends", ["scorer1", "scorer2"], hostvars)


def test_a_bad_model_list_is_refused_naming_the_host():
    with pytest.raises(AnsibleLookupError, match="^scorer1: scorer_models entry churn-model: needs an lb_port"):
        fleet("backends", ["scorer1"], {"scorer1": {"scorer_models": [dict(CHURN, lb_port=None)]}})


def test_a_host_not_in_hostvars_is_named():
    with pytest.raises(AnsibleLookupError, match="no host lb9 in hostvars"):
        fleet("balancers", ["lb9"], {})


def test_the_lookup_reads_the_group_and_refuses_an_unknown_term(tmp_path):
    # As Ansible runs it (its options come from its documentation), on an inventory of its own.
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "scorer_lbs": {"hosts": {"lb1": {"scorer_lb_socket": "/run/lb1.sock"}, "lb2": {}}},
        "edge": {"hosts": {"lb3": {}}}}}}))

    def lookup(expression, *extra):
        shown = subprocess.run(
            ["ansible", "-i", str(inventory), "localhost", "-m", "ansible.builtin.debug", "-a",
             "msg={{ %s | to_json }}" % expression] + list(extra), capture_output=True, text=True, timeout=120, check=False,
            env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                     ANSIBLE_STDOUT_CALLBACK="json"))
        result = json.loads(shown.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
        return result.get("msg") if not result.get("failed") else "failed: " + result["msg"]

    assert json.loads(lookup("lookup('sparkflows.mlops.scorer_fleet', 'balancers', group='scorer_lbs')")) == [
        {"name": "lb1", "socket": "/run/lb1.sock", "addresses": []}, {"name": "lb2", "socket": DEFAULT_SOCKET, "addresses": []}]
    assert json.loads(lookup("lookup('sparkflows.mlops.scorer_fleet', 'balancers', group='missing')")) == []
    assert "scorer_fleet takes one of balancers, sources, backends, groups" in lookup(
        "lookup('sparkflows.mlops.scorer_fleet', 'hosts', group='scorer_lbs')")
    # Without group=, the balancers' group as scorer_balancer_group names it (-e, as AWX sends it).
    assert [b["name"] for b in json.loads(lookup("lookup('sparkflows.mlops.scorer_fleet', 'balancers')"))] == ["lb1", "lb2"]
    assert [b["name"] for b in json.loads(lookup("lookup('sparkflows.mlops.scorer_fleet', 'balancers')",
                                                 "-e", "scorer_balancer_group=edge"))] == ["lb3"]
    assert json.loads(lookup("lookup('sparkflows.mlops.scorer_fleet', 'groups')")) == {
        "scorers": SCORER_GROUP, "balancers": BALANCER_GROUP}
    assert json.loads(lookup("lookup('sparkflows.mlops.scorer_fleet', 'groups')", "-e",
                             '{"scorer_lb_scorer_group": "web", "scorer_balancer_group": "edge"}')) == {
        "scorers": "web", "balancers": "edge"}
    assert "scorer_balancer_group must name an inventory group, not ''" in lookup(
        "lookup('sparkflows.mlops.scorer_fleet', 'groups')", "-e", "scorer_balancer_group=")


@pytest.mark.parametrize("role, variable, default", [("scorer_lb", "scorer_lb_scorer_group", SCORER_GROUP),
                                                     ("scorer", "scorer_balancer_group", BALANCER_GROUP)])
def test_the_group_names_are_the_roles_defaults(role, variable, default):
    defaults = yaml.safe_load((REPO_ROOT / "roles" / role / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((REPO_ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    assert defaults[variable] == default
    assert specs["argument_specs"]["main"]["options"][variable]["default"] == default
