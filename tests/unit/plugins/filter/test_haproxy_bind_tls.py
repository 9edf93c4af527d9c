"""haproxy_bind_tls: the TLS options of a frontend's bind line; refusals as filter errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.haproxy_bind_tls import FilterModule, haproxy_bind_tls


def test_the_documented_example():
    assert haproxy_bind_tls("/etc/haproxy/sparkflows/scorer_lb.pem") == "ssl crt /etc/haproxy/sparkflows/scorer_lb.pem alpn http/1.1"


@pytest.mark.parametrize("path", ["", "/etc/my cert.pem", None])
def test_a_path_that_is_not_one_word_is_a_filter_error(path):
    with pytest.raises(AnsibleFilterError, match="the certificate path must be one word"):
        haproxy_bind_tls(path)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"haproxy_bind_tls": haproxy_bind_tls}
