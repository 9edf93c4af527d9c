"""tests/utils/molecule_secrets.py, the Molecule scenarios' secret check: which variables are
secret (the role's no_log options, or a name that says so) and which pieces of their values a
leak would show (each text of a list or mapping, each line of a PEM key)."""

import textwrap

import pytest
import yaml

from utils.molecule_secrets import given_secrets, masked, nested_secrets, no_log_options, scenario_vars, secret_names, secret_strings, shown

KEY = textwrap.dedent("""\
    -----BEGIN EC PRIVATE KEY-----
    MHcCAQEEIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeoAoGCCqGSM49
    AwEHoUQDQgAEFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake==
    -----END EC PRIVATE KEY-----
    """)


def test_the_roles_no_log_options_are_secret_whatever_their_name():
    assert {"scorer_lb_api_keys", "scorer_lb_users", "scorer_lb_tls_private_key"} <= no_log_options("scorer_lb")
    names = ["scorer_lb_api_keys", "scorer_lb_users", "scorer_lb_tls_certificate", "scorer_lb_check_rise",
             "molecule_tls_dir"]
    assert secret_names("scorer_lb", names) == ["scorer_lb_api_keys", "scorer_lb_users"]


def test_an_option_that_is_not_free_text_is_secret_only_if_no_log():
    # A choice (always, on_create) and a number are settings, not secrets.
    assert secret_names("sparkflows_mlflow", ["sparkflows_mlflow_update_password", "sparkflows_mlflow_password"]) == [
        "sparkflows_mlflow_password"]
    assert secret_names("scorer_lb", ["scorer_lb_tls_ca_private_key_passphrase"]) == [
        "scorer_lb_tls_ca_private_key_passphrase"]
    # A list of the names of secrets is no secret; a text option named so is one, no_log or not.
    assert secret_names("scorer", ["scorer_secret_env", "mlflow_host_admin_password"]) == ["mlflow_host_admin_password"]
    assert secret_names("mlflow_host", ["mlflow_host_admin_password"]) == ["mlflow_host_admin_password"]


@pytest.mark.parametrize("name", ["mlflow_host_admin_password", "sparkflows_api_token", "vault_secret_id",
                                  "my_private_key", "an_api_key", "CA_PASSPHRASE"])
def test_a_name_that_says_secret_is_secret_in_any_role(name):
    assert secret_names("scorer_lb", [name]) == [name]


def test_every_text_of_a_value_and_every_line_of_a_multi_line_one_is_looked_for():
    value = [{"name": "scoring-app", "password": "pw-of-the-user"}, "an-api-key-0001", 42, True, "short"]
    assert secret_strings(value) == ["an-api-key-0001", "pw-of-the-user", "scoring-app"]
    pieces = secret_strings(KEY)
    assert KEY.strip() in pieces and KEY.splitlines()[1] in pieces
    assert [piece for piece in pieces if "\n" not in piece and piece.startswith("-----")] == []  # armour lines
    # A key shown JSON-escaped (one line with \n) or in a diff (line by line) is still found.
    assert shown({"key": pieces}, '"content": "%s"' % KEY.replace("\n", "\\n")) == ["key"]
    assert shown({"key": pieces}, "+" + KEY.splitlines()[2]) == ["key"]
    assert shown({"key": pieces}, "nothing of it") == []


def test_masked_hides_every_piece():
    secrets = {"a": ["pw-of-the-user"], "b": secret_strings(KEY)}
    text = masked("user pw-of-the-user key %s end" % KEY.splitlines()[1], secrets)
    assert shown(secrets, text) == [] and text.startswith("user ******** key ******** end")


def test_the_scenario_vars_are_every_groups(tmp_path):
    (tmp_path / "molecule.yml").write_text(
        "provisioner:\n  inventory:\n    group_vars:\n      all: {a: 1}\n      scorers: {b: 2}\n"
        "    host_vars:\n      h1: {c: 3}\n")
    assert scenario_vars(tmp_path) == {"a": 1, "b": 2, "c": 3}


def test_a_value_under_a_key_that_says_secret_is_one_at_any_depth():
    env = {"DB_PASSWORD": "db-password-1", "LOG_LEVEL": "warning-level", "API_TOKEN": ["token-in-a-list"]}
    models = [{"name": "churn-model", "env": {"FEATURE_SECRET": "feature-secret-1", "REGION": "eu-west-1"}}]
    assert sorted(nested_secrets(env)) == ["db-password-1", "token-in-a-list"]
    assert nested_secrets(models) == ["feature-secret-1"]


def test_the_secrets_are_the_values_ansible_renders_not_the_text_of_the_scenario(tmp_path):
    # A key read by a lookup (as the scorer_lb scenario gives its TLS key), a no_log list, a
    # secret under a key of a mapping; a setting is none.
    (tmp_path / "lb.key").write_text(KEY)
    scenario = {"provisioner": {"inventory": {"group_vars": {"all": {
        "scorer_lb_tls_private_key": "{{ lookup('ansible.builtin.file', '%s') }}" % (tmp_path / "lb.key"),
        "scorer_lb_api_keys": ["an-api-key-of-the-test"],
        "scorer_env": {"DB_PASSWORD": "{{ 'db-' ~ 'password' }}", "LOG_LEVEL": "warning"},
        "scorer_lb_realm": "the-realm-of-the-test"}}}}}
    (tmp_path / "molecule.yml").write_text(yaml.safe_dump(scenario))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"h1": {"ansible_connection": "local"}},
                                                 "vars": scenario["provisioner"]["inventory"]["group_vars"]["all"]}}))
    found = given_secrets("scorer_lb", tmp_path, inventory)
    assert sorted(found) == ["scorer_env", "scorer_lb_api_keys", "scorer_lb_tls_private_key"]
    assert KEY.splitlines()[1] in found["scorer_lb_tls_private_key"]
    assert found["scorer_env"] == ["db-password"] and found["scorer_lb_api_keys"] == ["an-api-key-of-the-test"]
