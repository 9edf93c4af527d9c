"""sparkflows_info's MLflow configuration and its masking: read through mlflow_config's key map,
no secret value returned in clear whatever its key is called; its run against the emulator: a
user who is no administrator warned through the host, a failure with what was read."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.mlflow_config import (
    DEFAULT_KEY_MAP,
    MLFLOW_OPTIONS,
    key_map,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.info import (
    ARGUMENT_SPEC,
    configuration_shown,
    mlflow_configuration,
    run,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import module_kwargs
from emulator.fixtures import ADMIN_TOKEN, ANALYST_TOKEN

HELD = {"mlops.mlflow.trackingURL": "http://mlflow1:5000", "mlops.mlflow.deploy.mode": "remote",
        "mlops.mlflow.username": "admin", "mlops.mlflow.password": "Hidden-Pa55", "mlops.fire.mlops.port": 8086,
        "mlops.aws.s3.secret.key": "S3-Secret", "mlops.aws.s3.access.key": "AKIA-EXAMPLE", "app.other": "x"}


def test_the_mlflow_options_by_mlflow_configs_names_the_password_masked():
    shown = mlflow_configuration(HELD, key_map({}))
    # The MLflow section of mlflow_config's key table (not its S3 store and deployment targets).
    assert list(shown) == list(MLFLOW_OPTIONS)
    assert list(MLFLOW_OPTIONS) == list(DEFAULT_KEY_MAP)[:len(MLFLOW_OPTIONS)]
    assert shown == {"tracking_url": "http://mlflow1:5000", "deploy_mode": "remote", "username": "admin",
                     "password": "********", "fire_mlops_host": "", "fire_mlops_port": "8086", "ssh_key_path": ""}


def test_an_empty_password_stays_empty():
    assert mlflow_configuration(dict(HELD, **{"mlops.mlflow.password": ""}), key_map({}))["password"] == ""


def test_the_key_map_is_honoured_and_a_password_key_of_any_name_is_masked():
    mapping = key_map({"password": "mlops.mlflow.auth.pw", "username": "mlops.mlflow.user"})
    held = dict(HELD, **{"mlops.mlflow.auth.pw": "Other-Pw-1", "mlops.mlflow.user": "ops"})
    shown = mlflow_configuration(held, mapping)
    assert (shown["password"], shown["username"]) == ("********", "ops")
    configuration = configuration_shown(held, ("mlops.",), {"mlops.mlflow.auth.pw"})
    assert configuration["mlops.mlflow.auth.pw"] == "********"
    assert "Other-Pw-1" not in str(shown) + str(configuration)


def test_the_configuration_masks_secret_names_and_keeps_the_prefixes_only():
    configuration = configuration_shown(HELD, ("mlops.",), set())
    assert "app.other" not in configuration
    assert (configuration["mlops.mlflow.password"], configuration["mlops.aws.s3.secret.key"],
            configuration["mlops.aws.s3.access.key"]) == ("********", "********", "********")
    assert configuration["mlops.mlflow.trackingURL"] == "http://mlflow1:5000"


def test_an_unknown_key_map_name_is_mlflow_configs_error():
    with pytest.raises(Exception, match="key_map has unknown option names tracking"):
        key_map({"tracking": "x"})


def test_a_key_map_of_the_whole_table_is_taken_and_its_other_options_left_out():
    # The role's one sparkflows_mlflow_key_map may rename an S3 or Kubeflow key too.
    mapping = key_map({"kubeflow_password": "mlops.kf.pw", "username": "mlops.mlflow.user"})
    assert list(mapping) == list(MLFLOW_OPTIONS) and mapping["username"] == "mlops.mlflow.user"
    assert key_map({"kubeflow_password": "mlops.kf.pw"}, DEFAULT_KEY_MAP)["kubeflow_password"] == "mlops.kf.pw"


def module_params(api_url, **given):
    """sparkflows_info's parameters with the argument spec's defaults, as AnsibleModule fills them."""
    spec = module_kwargs(ARGUMENT_SPEC)["argument_spec"]
    values = dict((name, option.get("default")) for name, option in spec.items())
    values.update(api_url=api_url, retries=0, timeout=5.0, **given)
    return values


def test_an_analyst_gets_no_configuration_and_a_warning_through_the_host(emulator, fake_host):
    result = run(module_params(emulator.url, api_token=ANALYST_TOKEN, mlflow=True), False, fake_host)
    assert result["changed"] is False and result["is_admin"] is False
    assert result["configuration"] is None and result["mlflow"] is None
    assert fake_host.warnings == ["The Sparkflows user is not an administrator: configuration is not returned."]


def test_an_administrator_gets_the_configuration_without_a_warning(emulator, fake_host):
    result = run(module_params(emulator.url, api_token=ADMIN_TOKEN), False, fake_host)
    assert result["is_admin"] is True and isinstance(result["configuration"], dict)
    assert fake_host.warnings == []


def test_a_server_that_does_not_answer_fails_with_what_was_read(fake_host):
    with pytest.raises(ModuleFailure) as failed:
        run(module_params("http://127.0.0.1:9"), False, fake_host)
    assert "127.0.0.1:9" in failed.value.msg and failed.value.result == dict(changed=False)


def test_an_unknown_key_map_option_fails_before_any_request(fake_host):
    with pytest.raises(ModuleFailure, match=r"^mlflow_key_map \(mlflow_config's key_map\): "):
        run(module_params("http://127.0.0.1:9", api_token=ADMIN_TOKEN, mlflow_key_map={"no_such_option": "k"}),
            False, fake_host)
