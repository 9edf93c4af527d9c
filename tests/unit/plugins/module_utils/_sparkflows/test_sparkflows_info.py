"""sparkflows_info's MLflow configuration and its masking: read through mlflow_config's key map,
no secret value returned in clear whatever its key is called."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.mlflow_config import (
    DEFAULT_KEY_MAP,
    MLFLOW_OPTIONS,
    key_map,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.info import (
    configuration_shown,
    mlflow_configuration,
)

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
