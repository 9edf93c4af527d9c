"""The one Sparkflows connection: module options from the inventory's variables, text booleans,
clear refusals naming the variable, and the per-role names of the earlier release deprecated."""

import pytest

from ansible.errors import AnsibleError

from ansible_collections.sparkflows.mlops.plugins.lookup.sparkflows_connection import connection

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
