"""haproxy_auth_lines: a frontend's lines that let only known API keys and users through, over
the digests of haproxy_credentials; refusals as filter errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.haproxy_auth_lines import FilterModule, haproxy_auth_lines
from ansible_collections.sparkflows.mlops.plugins.filter.haproxy_credentials import haproxy_credentials
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import auth_lines

FILES = dict(api_keys_file="/etc/haproxy/sparkflows/api-keys.sha256", users_file="/etc/haproxy/sparkflows/users.sha256")


def test_the_documented_example():
    lines = haproxy_auth_lines(haproxy_credentials(["an-api-key-of-some-length"]), header="X-API-Key", realm="scoring", **FILES)
    assert lines == auth_lines(haproxy_credentials(["an-api-key-of-some-length"]), "X-API-Key", "scoring", **FILES)
    assert lines[0].startswith("http-request set-var(txn.api_key) req.hdr(X-API-Key),digest(sha256)")
    assert lines[5] == "# The credentials stop here: the servers never see them."


def test_the_servers_are_named_in_the_comment():
    lines = haproxy_auth_lines(haproxy_credentials(["a" * 16]), "X-API-Key", "realm", servers="scorers", **FILES)
    assert "# The credentials stop here: the scorers never see them." in lines


def test_no_credentials_no_lines():
    assert haproxy_auth_lines(haproxy_credentials([]), "X-API-Key", "realm", **FILES) == []


@pytest.mark.parametrize("credentials, header, realm, message", [
    (dict(api_keys=["an-api-key-of-some-length"], users=[]), "X-API-Key", "realm", "must be SHA-256 digests"),
    (None, "X-API-Key", "realm", "must be a mapping of api_keys and users"),
    (dict(api_keys=[], users=[]), "X-API-Key", "realm", None),
])
def test_secrets_or_other_shapes_are_filter_errors(credentials, header, realm, message):
    if message is None:
        assert haproxy_auth_lines(credentials, header, realm, **FILES) == []
        return
    with pytest.raises(AnsibleFilterError, match=message) as refused:
        haproxy_auth_lines(credentials, header, realm, **FILES)
    assert "an-api-key-of-some-length" not in str(refused.value)


@pytest.mark.parametrize("header, realm, message", [
    ("X API Key", "realm", "API key header must be a header name"),
    ("X-API-Key", "two words", "the realm must be one word"),
])
def test_a_header_or_realm_haproxy_cannot_take_is_a_filter_error(header, realm, message):
    with pytest.raises(AnsibleFilterError, match=message):
        haproxy_auth_lines(haproxy_credentials(["a" * 16]), header, realm, **FILES)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"haproxy_auth_lines": haproxy_auth_lines}
