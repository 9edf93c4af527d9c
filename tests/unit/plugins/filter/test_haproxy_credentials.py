"""haproxy_credentials: the digests every HAProxy of the collection stores of its API keys and
users (computed here independently), refusals as filter errors."""

import base64
import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.haproxy_credentials import FilterModule, haproxy_credentials


def test_the_documented_example():
    key, header = "an-api-key-of-some-length", "Basic " + base64.b64encode(b"app:secret").decode()
    assert haproxy_credentials([key], [{"name": "app", "password": "secret"}]) == dict(
        api_keys=[hashlib.sha256(key.encode()).hexdigest()], users=[hashlib.sha256(header.encode()).hexdigest()])


@pytest.mark.parametrize("keys, users, message", [
    (["short"], None, "every API key must be text of 16 characters or more"),
    ([], [{"name": "a:b", "password": "secret"}], "user name 'a:b' has a colon"),
    ([], [{"name": "app"}], "every user needs a name and a password"),
])
def test_refusals_are_filter_errors(keys, users, message):
    with pytest.raises(AnsibleFilterError, match=message):
        haproxy_credentials(keys, users)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"haproxy_credentials": haproxy_credentials}
