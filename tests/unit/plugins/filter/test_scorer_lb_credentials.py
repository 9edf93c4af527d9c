"""scorer_lb_credentials: the digests a balancer stores of the endpoint's API keys and users
(computed here independently), refusals as filter errors."""

import base64
import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_lb_credentials import scorer_lb_credentials


def test_the_documented_example():
    key, header = "an-api-key-of-some-length", "Basic " + base64.b64encode(b"app:secret").decode()
    assert scorer_lb_credentials([key], [{"name": "app", "password": "secret"}]) == dict(
        api_keys=[hashlib.sha256(key.encode()).hexdigest()], users=[hashlib.sha256(header.encode()).hexdigest()])


def test_the_digests_never_contain_the_secrets():
    found = scorer_lb_credentials(["an-api-key-of-some-length"], [{"name": "app", "password": "secret"}])
    assert all(len(d) == 64 and set(d) <= set("0123456789abcdef") for d in found["api_keys"] + found["users"])


@pytest.mark.parametrize("keys", [None, []])
def test_no_keys_and_no_users_store_nothing(keys):
    assert scorer_lb_credentials(keys) == dict(api_keys=[], users=[])


@pytest.mark.parametrize("keys, users, message", [
    (["short"], None, "every API key must be text of 16 characters or more"),
    ([], [{"name": "a:b", "password": "secret"}], "user name 'a:b' has a colon"),
    ([], [{"name": "app"}], "every user needs a name and a password"),
])
def test_refusals_are_filter_errors(keys, users, message):
    with pytest.raises(AnsibleFilterError, match=message):
        scorer_lb_credentials(keys, users)
