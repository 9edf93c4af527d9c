"""haproxy_tls_globals: the global TLS lines of every HAProxy of the collection, the rules of
_haproxy.tls; refusals as filter errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.haproxy_tls_globals import FilterModule, haproxy_tls_globals
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import tls_globals


@pytest.mark.parametrize("side", ["bind", "server"])
def test_the_lines_are_the_rules(side):
    assert haproxy_tls_globals(side) == tls_globals(side)


def test_the_documented_example():
    assert haproxy_tls_globals("bind")[0] == "ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets"


def test_an_unknown_side_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="the TLS side must be one of bind, server, not 'frontend'"):
        haproxy_tls_globals("frontend")


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"haproxy_tls_globals": haproxy_tls_globals}
