"""haproxy_credentials: the digests every HAProxy of the collection stores of its API keys and
users (computed here independently), refusals as filter errors; scorer_lb_credentials is the
same filter under the balancer's older name."""

import base64
import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.haproxy_credentials import FilterModule, haproxy_credentials
from ansible_collections.sparkflows.mlops.plugins.filter.scorer_lb_credentials import scorer_lb_credentials


def test_the_documented_example():
    key, header = "an-api-key-of-some-length", "Basic " + base64.b64encode(b"app:secret").decode()
    assert haproxy_credentials([key], [{"name": "app", "password": "secret"}]) == dict(
        api_keys=[hashlib.sha256(key.encode()).hexdigest()], users=[hashlib.sha256(header.encode()).hexdigest()])


@pytest.mark.parametrize("keys, users", [([], None), (["an-api-key-of-some-length"], [{"name": "app", "password": "secret"}])])
def test_scorer_lb_credentials_gives_the_same_digests(keys, users):
    assert scorer_lb_credentials(keys, users) == haproxy_credentials(keys, users)


@pytest.mark.parametrize("keys, users, message", [
    (["short"], None, "every API key must be text of 16 characters or more"),
    ([], [{"name": "a:b", "password": "secret"}], "user name 'a:b' has a colon"),
    ([], [{"name": "app"}], "every user needs a name and a password"),
])
def test_refusals_are_filter_errors(keys, users, message):
    with pytest.raises(AnsibleFilterError, match=message):
        haproxy_credentials(keys, users)
    with pytest.raises(AnsibleFilterError, match=message):
        scorer_lb_credentials(keys, users)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"haproxy_credentials": haproxy_credentials}
