"""sparkflows_info through ansible-playbook against the Sparkflows emulator over HTTP."""

import pytest

from emulator.fixtures import ADMIN_TOKEN, ANALYST_TOKEN, seed_configurations
from emulator.sparkflows_emulator import VARIANTS
from utils.playbook import run_playbook


def info(tmp_path, emulator, token=ADMIN_TOKEN, args=(), callback="json", **options):
    options = dict({"api_url": emulator.url, "api_token": token}, **options)
    return run_playbook(tmp_path, [{"name": "Read Sparkflows", "sparkflows.mlops.sparkflows_info": options}], args=args,
                        callback=callback)


def test_health_release_user_and_masked_configuration(tmp_path, emulator):
    seed_configurations(emulator, {"mlops.mlflow.trackingURL": "http://mlflow.lab:5000",
                                   "mlops.mlflow.password": "Hidden-Pa55", "app.other": "x"})
    result = info(tmp_path, emulator)
    assert result.rc == 0, result.stdout
    data = result.result
    assert data["changed"] is False
    assert (data["health"], data["release"]) == ("UP", "3.1.0")
    assert data["user"]["username"] == "admin" and data["is_admin"] is True
    assert data["configuration"] == {"mlops.mlflow.trackingURL": "http://mlflow.lab:5000",
                                     "mlops.mlflow.password": "********"}
    assert "Hidden-Pa55" not in result.stdout
    assert [r["method"] for r in emulator.requests()] == ["GET"] * len(emulator.requests())


def test_non_admin_gets_no_configuration_and_a_warning(tmp_path, emulator):
    result = info(tmp_path, emulator, token=ANALYST_TOKEN)
    assert result.rc == 0, result.stdout
    assert result.result["is_admin"] is False
    assert result.result["configuration"] is None
    assert any("not an administrator" in w for w in result.result["warnings"])


@pytest.mark.parametrize("shape", VARIANTS["config_shape"])
def test_configuration_in_every_known_shape(tmp_path, emulator, shape):
    seed_configurations(emulator, {"mlops.mlflow.trackingURL": "http://mlflow.lab:5000", "app.other": "x"})
    emulator.control("variant", {"config_shape": shape})
    result = info(tmp_path, emulator)
    assert result.rc == 0, result.stdout
    assert result.result["configuration"] == {"mlops.mlflow.trackingURL": "http://mlflow.lab:5000"}


def test_an_unknown_release_field_fails_clearly(tmp_path, emulator):
    emulator.control("variant", {"release_key": "unknown"})
    result = info(tmp_path, emulator)
    assert result.rc != 0
    assert result.result["msg"] == (
        "GET %s/api/v1/app/release-info: unrecognised answer: no release in an object with keys [build, "
        "fireBuildVersion, sparkVersion] (read from the key release or version or releaseVersion, a release such as "
        "3.1.0)" % emulator.url)


MLFLOW_PASSWORD = "Hidden-Mlflow-Pa55"
S3_SECRET = "S3-Secret-Key-9x"
HELD = {"mlops.mlflow.trackingURL": "http://mlflow1:5000", "mlops.mlflow.deploy.mode": "remote",
        "mlops.mlflow.user": "ops", "mlops.mlflow.auth.pw": MLFLOW_PASSWORD, "mlops.aws.s3.secret.key": S3_SECRET,
        "mlops.aws.s3.endpoint.url": "http://s3.lab:9000"}
# The lab's key map differs from the defaults here: the password's key says nothing secret.
KEY_MAP = {"username": "mlops.mlflow.user", "password": "mlops.mlflow.auth.pw"}


@pytest.mark.parametrize("secrets", VARIANTS["config_secrets"])
def test_the_mlflow_configuration_through_the_key_map_secrets_masked(tmp_path, emulator, secrets):
    seed_configurations(emulator, HELD)
    emulator.control("variant", {"config_secrets": secrets})
    result = info(tmp_path, emulator, mlflow=True, mlflow_key_map=KEY_MAP)
    assert result.rc == 0, result.stdout
    assert result.result["mlflow"] == {
        "tracking_url": "http://mlflow1:5000", "deploy_mode": "remote", "username": "ops", "password": "********",
        "fire_mlops_host": "", "fire_mlops_port": "", "ssh_key_path": ""}
    assert result.result["configuration"]["mlops.mlflow.auth.pw"] == "********"
    assert result.result["configuration"]["mlops.aws.s3.secret.key"] == "********"
    # At -vvv, in the default callback's output (module arguments and result), neither secret.
    shown = info(tmp_path, emulator, args=("-vvv",), callback="default", mlflow=True, mlflow_key_map=KEY_MAP)
    assert shown.rc == 0, shown.stdout
    assert '"password": "********"' in shown.stdout
    for secret in (MLFLOW_PASSWORD, S3_SECRET):
        assert secret not in shown.stdout + shown.stderr
    assert [r["method"] for r in emulator.requests()] == ["GET"] * len(emulator.requests())


def test_without_mlflow_nothing_of_it_is_returned(tmp_path, emulator):
    seed_configurations(emulator, HELD)
    result = info(tmp_path, emulator)
    assert result.rc == 0, result.stdout
    assert "mlflow" not in result.result
    assert result.result["configuration"]["mlops.aws.s3.secret.key"] == "********"


def test_a_non_admin_gets_no_mlflow_configuration(tmp_path, emulator):
    result = info(tmp_path, emulator, token=ANALYST_TOKEN, mlflow=True)
    assert result.rc == 0, result.stdout
    assert result.result["mlflow"] is None


def test_an_unknown_key_map_name_fails_before_any_request(tmp_path, emulator):
    result = info(tmp_path, emulator, mlflow=True, mlflow_key_map={"tracking": "mlops.x"})
    assert result.rc != 0
    assert result.result["msg"].startswith("mlflow_key_map (mlflow_config's key_map): key_map has unknown option "
                                           "names tracking; known: ")
    assert emulator.requests() == []
