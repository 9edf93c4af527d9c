"""scorer_lb_sources: the networks the scorer hosts let in - each balancer's
scorer_lb_source_addresses, else the default addresses of its gathered facts."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_lb_sources import scorer_lb_sources


def facts(ipv4=None, ipv6=None):
    return {"ansible_facts": {"default_ipv4": {"address": ipv4} if ipv4 else {},
                              "default_ipv6": {"address": ipv6} if ipv6 else {}}}


def test_the_default_addresses_of_the_facts_when_none_are_set():
    hostvars = {"lb1": facts("192.0.2.10", "2001:db8::10"), "lb2": facts("192.0.2.20")}
    assert scorer_lb_sources(["lb1", "lb2"], hostvars) == dict(ipv4=["192.0.2.10/32", "192.0.2.20/32"],
                                                               ipv6=["2001:db8::10/128"])


def test_set_source_addresses_win_over_the_facts():
    hostvars = {"lb1": dict(facts("192.0.2.10"), scorer_lb_source_addresses=["10.8.0.0/24"])}
    assert scorer_lb_sources(["lb1"], hostvars) == dict(ipv4=["10.8.0.0/24"], ipv6=[])


@pytest.mark.parametrize("host_vars", [{}, {"ansible_facts": {}}, facts(), {"scorer_lb_source_addresses": []}])
def test_a_balancer_without_addresses_or_facts_is_refused_naming_it(host_vars):
    with pytest.raises(AnsibleFilterError, match="^balancer lb1 has no address the scorer hosts see it from"):
        scorer_lb_sources(["lb1"], {"lb1": host_vars})


def test_a_bad_address_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="balancer lb1: 'lb1.example.net' is not an IP address or network"):
        scorer_lb_sources(["lb1"], {"lb1": {"scorer_lb_source_addresses": ["lb1.example.net"]}})


def test_no_balancers_no_sources():
    assert scorer_lb_sources([], {}) == dict(ipv4=[], ipv6=[])
