"""sparkflows_info through ansible-playbook against the Sparkflows emulator over HTTP."""

import pytest

from emulator.fixtures import ADMIN_TOKEN, ANALYST_TOKEN, seed_configurations
from emulator.sparkflows_emulator import VARIANTS
from utils.playbook import run_playbook


def info(tmp_path, emulator, token=ADMIN_TOKEN, args=(), **options):
    options = dict({"api_url": emulator.url, "api_token": token}, **options)
    return run_playbook(tmp_path, [{"name": "Read Sparkflows", "sparkflows.mlops.sparkflows_info": options}], args=args)


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
