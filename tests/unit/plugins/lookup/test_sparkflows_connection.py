"""The one Sparkflows connection: module options from the inventory's variables, text booleans,
clear refusals naming the variable, and the per-role names of the earlier release deprecated."""

import pathlib
import re

import pytest

from ansible.errors import AnsibleError

from ansible_collections.sparkflows.mlops.plugins.lookup.sparkflows_connection import candidates, connection
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.http import HINT_401

REPO_ROOT = pathlib.Path(__file__).resolve().parents[4]

BASE = {"sparkflows_api_url": "https://sf.example.net:8443", "sparkflows_api_token": "t0ken"}


def test_the_variables_become_module_options():
    assert connection(dict(BASE, sparkflows_ca_path="/etc/ca.pem")) == {
        "api_url": "https://sf.example.net:8443", "api_token": "t0ken", "ca_path": "/etc/ca.pem", "validate_certs": True}


def test_a_user_instead_of_a_token():
    options = connection({"sparkflows_api_url": "http://sf:8080", "sparkflows_api_username": "admin",
                          "sparkflows_api_password": "pw"})
    assert (options["api_username"], options["api_password"], "api_token" in options) == ("admin", "pw", False)


@pytest.mark.parametrize("text, value", [("false", False), ("no", False), ("0", False), ("true", True), (" yes ", True)])
def test_validate_certs_as_text(text, value):
    assert connection(dict(BASE, sparkflows_validate_certs=text))["validate_certs"] is value


@pytest.mark.parametrize("values, message", [
    ({"sparkflows_api_token": "t"}, "sparkflows_api_url is not set"),
    ({"sparkflows_api_url": "", "sparkflows_api_token": "t"}, "sparkflows_api_url is not set"),
    ({"sparkflows_api_url": "sf.example.net"}, "sparkflows_api_url must be an http:// or https:// URL, not 'sf.example.net'"),
    ({"sparkflows_api_url": "http://sf:8080"}, "sparkflows_api_token is not set"),
    (dict(BASE, sparkflows_validate_certs="maybe"), "sparkflows_validate_certs must be a boolean .* not 'maybe'"),
])
def test_refusals_name_the_variable(values, message):
    with pytest.raises(AnsibleError, match=message):
        connection(values)


def test_a_deprecated_per_role_name_wins_with_a_warning():
    warnings = []
    options = connection(dict(BASE, scorer_sparkflows_api_url="http://old:8080", scorer_sparkflows_validate_certs="no"),
                         ["scorer_sparkflows_"], warn=warnings.append)
    assert (options["api_url"], options["api_token"], options["validate_certs"]) == ("http://old:8080", "t0ken", False)
    assert warnings == [
        "scorer_sparkflows_api_url is deprecated: set sparkflows_api_url, the one Sparkflows connection of the inventory",
        "scorer_sparkflows_validate_certs is deprecated: set sparkflows_validate_certs, the one Sparkflows connection"
        " of the inventory"]


def test_deprecated_names_left_empty_are_not_used_and_not_warned_about():
    warnings = []
    assert connection(dict(BASE, scorer_sparkflows_api_url=""), ["scorer_sparkflows_"], warn=warnings.append)["api_url"] \
        == BASE["sparkflows_api_url"]
    assert warnings == []


def test_a_deprecated_token_wins_and_is_named():
    warnings = []
    options = connection(dict(BASE, sparkflows_mlflow_api_token="old"), ["sparkflows_mlflow_"], warn=warnings.append)
    assert options["api_token"] == "old"
    assert warnings == ["sparkflows_mlflow_api_token is deprecated: set sparkflows_api_token, the one Sparkflows "
                        "connection of the inventory"]


# The prefixes of the deprecated names, as the collection's roles and playbooks give them to the lookup.
LOOKUP_PREFIXES = re.compile(r"lookup\('sparkflows\.mlops\.sparkflows_connection', '([a-z_]+)'\)")


def prefixes_in_use():
    files = list((REPO_ROOT / "roles").glob("*/vars/main.yml")) + list((REPO_ROOT / "playbooks").glob("*.yml"))
    return sorted(set(prefix for path in files for prefix in LOOKUP_PREFIXES.findall(path.read_text())))


def test_the_http_401_hint_names_every_variable_that_may_set_the_credentials():
    # The client cannot know which variable set api_token: its hint names each one the lookup
    # reads for the roles and playbooks - the inventory's and the deprecated per-role names.
    prefixes = prefixes_in_use()
    assert prefixes == ["scorer_sparkflows_", "sparkflows_mlflow_"]
    names = candidates("api_token", prefixes) + candidates("api_username") + candidates("api_password")
    assert names == ["scorer_sparkflows_api_token", "sparkflows_mlflow_api_token", "sparkflows_api_token",
                     "sparkflows_api_username", "sparkflows_api_password"]
    assert [name for name in names if not re.search(r"\b%s\b" % name, HINT_401)] == []
