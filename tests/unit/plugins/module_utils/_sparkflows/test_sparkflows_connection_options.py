"""The connection options every Sparkflows module takes (module_kwargs: CONNECTION_ARGSPEC of
_sparkflows.client), validated as AnsibleModule validates them: the token and the password are
no_log values (Ansible masks them in every output), and certificates are verified unless a user
says otherwise, from the argspec down to the transport."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    SparkflowsClient,
    connection_params,
    module_kwargs,
)

TOKEN = "tok-5e3f9a"
PASSWORD = "pw-77c1d0"


def validated(**params):
    kwargs = module_kwargs(dict(model_name=dict(type="str")))
    validator = ArgumentSpecValidator(
        kwargs["argument_spec"], mutually_exclusive=kwargs["mutually_exclusive"],
        required_together=kwargs["required_together"], required_one_of=kwargs["required_one_of"])
    result = validator.validate(dict(api_url="https://sparkflows.example:8443", **params))
    assert result.error_messages == []
    return result


@pytest.mark.parametrize("params, secret", [
    (dict(api_token=TOKEN), TOKEN),
    (dict(api_username="admin", api_password=PASSWORD), PASSWORD),
])
def test_the_token_and_the_password_are_no_log_values(params, secret):
    result = validated(**params)
    assert result.validated_parameters[[k for k in params if params[k] == secret][0]] == secret
    assert secret in result._no_log_values
    # Nothing else is taken for a secret: the header name, the user name and the URL stay shown.
    assert result._no_log_values == {secret}


def test_every_option_named_like_a_secret_is_no_log():
    spec = module_kwargs({})["argument_spec"]
    secrets = {name for name in spec if any(word in name for word in ("token", "password", "secret", "key"))}
    assert secrets == {"api_token", "api_token_header", "api_password"}
    assert spec["api_token"]["no_log"] is True
    assert spec["api_password"]["no_log"] is True
    # A header name, not a secret (said explicitly, or ansible-test would ask).
    assert spec["api_token_header"]["no_log"] is False


def test_certificates_are_verified_unless_a_user_says_otherwise():
    params = validated(api_token=TOKEN).validated_parameters
    assert params["validate_certs"] is True
    assert connection_params(params)["validate_certs"] is True
    assert validated(api_token=TOKEN, validate_certs=False).validated_parameters["validate_certs"] is False


def test_the_transport_verifies_certificates_by_default():
    # tests/unit/plugins/module_utils/_sparkflows/test_sparkflows_client.py shows it against a TLS server with
    # an unknown CA; here: the default the transport itself starts from.
    assert SparkflowsClient("https://sparkflows.example:8443", api_token=TOKEN)._request.validate_certs is True
    assert SparkflowsClient("https://sparkflows.example:8443", api_token=TOKEN,
                            validate_certs=False)._request.validate_certs is False
