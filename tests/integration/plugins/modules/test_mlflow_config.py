"""mlflow_config through ansible-playbook against the Sparkflows emulator over HTTP(S)."""

import json

import pytest

from emulator.fixtures import ADMIN_PASSWORD, ADMIN_TOKEN, ANALYST_TOKEN, seed_configurations
from emulator.sparkflows_emulator import VARIANTS
from utils.playbook import run_playbook
from utils.ports import free_port

MLFLOW_PASSWORD = "Mlfl0w-S3cret-Passw0rd"
UNRELATED = {"app.unrelated.setting": "keep-me", "mlops.models.state.values": "Dev,QA,Production"}
FULL = {
    "tracking_url": "http://mlflow.lab:5000",
    "username": "mlflow-admin",
    "password": MLFLOW_PASSWORD,
    "deploy_mode": "fire_mlops_server",
    "fire_mlops_host": "mlflow.lab",
    "fire_mlops_port": 8086,
}
EXPECTED = {
    "mlops.mlflow.trackingURL": "http://mlflow.lab:5000",
    "mlops.mlflow.username": "mlflow-admin",
    "mlops.mlflow.password": MLFLOW_PASSWORD,
    "mlops.mlflow.deploy.mode": "fire_mlops_server",
    "mlops.fire.mlops.host": "mlflow.lab",
    "mlops.fire.mlops.port": "8086",
}


def stored(emulator):
    return {item["name"]: item["value"] for item in json.loads(emulator.state_bytes() or b"[]")}


def config_task(**options):
    return [{"name": "Configure MLflow in Sparkflows", "sparkflows.mlops.mlflow_config": options}]


def run(tmp_path, emulator, options, token=ADMIN_TOKEN, **kwargs):
    defaults = {"api_url": emulator.url, "api_token": token}
    return run_playbook(tmp_path, config_task(**options), module_defaults=defaults, **kwargs)


def posts(emulator, context=None):
    return [r for r in emulator.requests(context=context) if r["method"] == "POST"]


@pytest.fixture
def seeded(emulator):
    seed_configurations(emulator, UNRELATED)
    return emulator


def test_first_run_changes_second_run_does_not(tmp_path, seeded):
    first = run(tmp_path, seeded, FULL)
    assert first.rc == 0, first.stdout
    assert first.result["changed"] is True
    assert sorted(first.result["changed_keys"]) == sorted(EXPECTED)
    assert stored(seeded) == dict(UNRELATED, **EXPECTED)

    # The emulator shows the stored password masked, as a real server may: update_password=always
    # cannot tell whether it differs, so it writes it again; on_create keeps it.
    second = run(tmp_path, seeded, FULL)
    assert second.rc == 0, second.stdout
    assert second.result["changed_keys"] == ["mlops.mlflow.password"]
    assert second.result["configuration"]["mlops.mlflow.password"] == "********"
    third = run(tmp_path, seeded, dict(FULL, update_password="on_create"))
    assert third.rc == 0, third.stdout
    assert third.result["changed"] is False and third.result["changed_keys"] == []
    assert stored(seeded) == dict(UNRELATED, **EXPECTED)


def test_check_mode_sends_nothing(tmp_path, seeded):
    before = seeded.state_bytes()
    result = run(tmp_path, seeded, FULL, args=["--check", "--diff"])
    assert result.rc == 0, result.stdout
    assert result.result["changed"] is True
    assert seeded.state_bytes() == before
    assert posts(seeded) == []


def test_diff_and_verbose_output_never_show_the_password(tmp_path, seeded):
    result = run(tmp_path, seeded, FULL, args=["--diff", "-vvv"], callback="default")
    assert result.rc == 0, result.stdout
    assert MLFLOW_PASSWORD not in result.stdout + result.stderr
    assert '+    "mlops.mlflow.password": "********"' in result.stdout  # the diff, masked
    # A new password is a change, reported without its value.
    changed = run(tmp_path, seeded, dict(FULL, password="An0ther-S3cret"), args=["--diff", "-vvv"], callback="default")
    assert changed.rc == 0
    assert "An0ther-S3cret" not in changed.stdout + changed.stderr
    assert "******** (changed)" in changed.stdout
    assert "changed=1" in changed.stdout
    assert stored(seeded)["mlops.mlflow.password"] == "An0ther-S3cret"


def test_diff_is_masked_before_and_after(tmp_path, seeded):
    run(tmp_path, seeded, FULL)
    result = run(tmp_path, seeded, dict(FULL, password="N3w-Passw0rd", deploy_mode="local"), args=["--diff"])
    diff = result.result["diff"]
    assert diff["before"]["mlops.mlflow.password"] == "********"
    assert diff["after"]["mlops.mlflow.password"] == "******** (changed)"
    assert (diff["before"]["mlops.mlflow.deploy.mode"], diff["after"]["mlops.mlflow.deploy.mode"]) == (
        "fire_mlops_server", "local")


def test_update_password_on_create_keeps_the_stored_one(tmp_path, seeded):
    run(tmp_path, seeded, FULL)
    result = run(tmp_path, seeded, dict(FULL, password="Other-0ne", update_password="on_create"))
    assert result.result["changed"] is False
    assert stored(seeded)["mlops.mlflow.password"] == MLFLOW_PASSWORD


def test_remote_mode_sets_the_key_path(tmp_path, seeded):
    result = run(tmp_path, seeded, {"tracking_url": "http://mlflow.lab:5000", "deploy_mode": "remote",
                                    "ssh_key_path": "/home/sparkflows/.ssh/mlflow_ed25519"})
    assert result.rc == 0, result.stdout
    assert stored(seeded)["mlops.mlflow.ssh.key.path"] == "/home/sparkflows/.ssh/mlflow_ed25519"
    assert stored(seeded)["mlops.mlflow.deploy.mode"] == "remote"


def test_key_map_and_settings(tmp_path, seeded):
    result = run(tmp_path, seeded, {"username": "u", "key_map": {"username": "mlops.mlflow.user"},
                                    "settings": {"mlops.aws.s3.ignore.tls": False}})
    assert result.rc == 0, result.stdout
    assert stored(seeded)["mlops.mlflow.user"] == "u"
    assert stored(seeded)["mlops.aws.s3.ignore.tls"] == "false"
    assert "mlops.mlflow.username" not in stored(seeded)


def test_absent_clears_managed_keys_only(tmp_path, seeded):
    run(tmp_path, seeded, FULL)
    first = run(tmp_path, seeded, {"state": "absent"})
    assert first.rc == 0 and first.result["changed"] is True
    after = stored(seeded)
    assert all(after[key] == "" for key in EXPECTED)
    assert {key: after[key] for key in UNRELATED} == UNRELATED
    second = run(tmp_path, seeded, {"state": "absent"})
    assert second.result["changed"] is False


def test_session_login_through_module_defaults(tmp_path, seeded):
    defaults = {"api_url": seeded.url, "api_username": "admin", "api_password": ADMIN_PASSWORD}
    result = run_playbook(tmp_path, config_task(**FULL), module_defaults=defaults)
    assert result.rc == 0, result.stdout
    assert result.result["changed"] is True


def assert_refused(result, emulator, before, message, context=None):
    assert result.rc != 0
    failure = result.result
    assert failure.get("failed") is True
    assert message in failure["msg"], failure["msg"]
    assert "\n" not in failure["msg"]
    assert emulator.state_bytes() == before
    assert posts(emulator, context) == []


@pytest.mark.parametrize("options, message", [
    (dict(FULL, deploy_mode="cloud"), "value of deploy_mode must be one of: fire_mlops_server, local, remote"),
    ({"deploy_mode": "remote", "tracking_url": "http://m:5000"}, "deploy_mode is remote but all of the following are missing: ssh_key_path"),
    ({"deploy_mode": "fire_mlops_server"}, "deploy_mode is fire_mlops_server but all of the following are missing: fire_mlops_host, fire_mlops_port"),
    (dict(FULL, tracking_url="mlflow.lab:5000"), "tracking_url must be an absolute http:// or https:// URL"),
])
def test_bad_options_fail_clearly_and_write_nothing(tmp_path, seeded, options, message):
    before = seeded.state_bytes()
    assert_refused(run(tmp_path, seeded, options), seeded, before, message)


def test_wrong_token_fails_clearly(tmp_path, seeded):
    before = seeded.state_bytes()
    assert_refused(run(tmp_path, seeded, FULL, token="wrong-token"), seeded, before,
                   "HTTP 401: Invalid access token; check api_token")


def test_non_admin_fails_clearly(tmp_path, seeded):
    before = seeded.state_bytes()
    assert_refused(run(tmp_path, seeded, FULL, token=ANALYST_TOKEN), seeded, before,
                   "HTTP 403: Access is denied; the Sparkflows user is not allowed")


def test_html_answer_fails_clearly(tmp_path, seeded):
    before = seeded.state_bytes()
    seeded.control("faults", {"html": True})
    assert_refused(run(tmp_path, seeded, FULL), seeded, before, "the answer is not JSON (Content-Type text/html)")


def test_unreachable_server_fails_clearly(tmp_path):
    options = dict(FULL, api_url="http://127.0.0.1:%d" % free_port(), api_token=ADMIN_TOKEN, retries=1)
    result = run_playbook(tmp_path, config_task(**options))
    assert result.rc != 0
    assert "cannot connect to Sparkflows" in result.result["msg"] and "(after 2 attempts)" in result.result["msg"]


def test_unknown_ca_fails_clearly_and_ca_path_works(tmp_path, tls_emulator):
    import ssl

    context = ssl.create_default_context(cafile=str(tls_emulator.ca))
    before = tls_emulator.state_bytes()
    refused = run(tmp_path, tls_emulator, FULL)
    assert_refused(refused, tls_emulator, before, "TLS certificate verification failed", context)
    trusted = run(tmp_path, tls_emulator, dict(FULL, ca_path=str(tls_emulator.ca)))
    assert trusted.rc == 0, trusted.stdout
    assert stored(tls_emulator)["mlops.mlflow.deploy.mode"] == "fire_mlops_server"


# -- the documented uncertainties of the API, each a variant of the emulator ---------------


def text_values(emulator):
    """The stored configuration as the module compares it: an empty value is no value."""
    return {key: value for key, value in stored(emulator).items() if value not in ("", None)}


@pytest.mark.parametrize("shape", VARIANTS["config_shape"])
@pytest.mark.parametrize("post", VARIANTS["config_post"])
def test_every_configuration_variant_is_set_once_and_loses_nothing(tmp_path, seeded, shape, post):
    seeded.control("variant", {"config_shape": shape, "config_post": post})
    before = seeded.state_bytes()
    options = dict(FULL, update_password="on_create")
    first = run(tmp_path, seeded, options)
    if shape == "page":
        # What a POST takes in place of a page is not known (this server has no /infer):
        # refused before anything is written (test_the_infer_shape_is_the_one_written: with it).
        assert_refused(first, seeded, before, "Sparkflows answers GET /api/v1/configurations as a Spring Data page "
                       "of entries and does not serve /api/v1/configurations/infer")
        return
    assert first.rc == 0, first.stdout
    assert first.result["changed"] is True
    assert stored(seeded) == dict(UNRELATED, **EXPECTED)  # a replacing POST wiped nothing
    second = run(tmp_path, seeded, options)
    assert second.rc == 0 and second.result["changed"] is False, second.stdout


@pytest.mark.parametrize("shape", VARIANTS["config_shape"])
def test_the_infer_shape_is_the_one_written(tmp_path, seeded, shape):
    # This server takes back only what /infer answers (entities with ids), whatever GET shows.
    seeded.control("variant", {"config_shape": shape, "config_infer": "entities", "config_post": "replace"})
    result = run(tmp_path, seeded, {"tracking_url": "http://mlflow.lab:5000", "deploy_mode": "local"})
    assert result.rc == 0, result.stdout
    assert stored(seeded) == dict(UNRELATED, **{"mlops.mlflow.trackingURL": "http://mlflow.lab:5000",
                                                "mlops.mlflow.deploy.mode": "local"})
    assert [r["status"] for r in posts(seeded)] == [200]


# -- a server that shows secrets masked: a mask is never written back ----------------------

OTHER_SECRETS = {"mlops.aws.s3.secret.key": "S3-Kept-S3cret-71", "mlops.kubeflow.password": "Kf-Kept-Passw0rd-72"}


@pytest.fixture
def with_secrets(seeded):
    seed_configurations(seeded, OTHER_SECRETS)
    return seeded


# Each shape GET may answer, without /infer and with it (whose entities POST then takes), and
# each mask form: the pairs, not every combination (each case is two playbook runs).
MASKED_CASES = ([("masked", shape, "absent") for shape in VARIANTS["config_shape"] if shape != "page"]
                + [("protected", "grouped", "entities"), ("masked", "page", "entities")])


@pytest.mark.parametrize("secrets, shape, infer", MASKED_CASES)
def test_masked_secrets_block_a_whole_set_write_before_anything_is_sent(tmp_path, with_secrets, secrets, shape, infer):
    with_secrets.control("variant", {"config_shape": shape, "config_secrets": secrets, "config_infer": infer})
    before = with_secrets.state_bytes()
    for args in ([], ["--check"]):
        result = run(tmp_path, with_secrets, FULL, args=args)
        assert_refused(result, with_secrets, before, "Sparkflows showed mlops.aws.s3.secret.key, "
                       "mlops.kubeflow.password masked: a write of the whole set would replace them with the mask, "
                       "so nothing was written. If this Sparkflows keeps the settings a POST does not name, set "
                       "write_scope: changed_entries")
    assert stored(with_secrets) == dict(UNRELATED, **OTHER_SECRETS)


CHANGED_ENTRIES_CASES = [("always",) + case for case in MASKED_CASES] + [("on_create",) + MASKED_CASES[0],
                                                                         ("on_create",) + MASKED_CASES[-2]]


@pytest.mark.parametrize("update_password, secrets, shape, infer", CHANGED_ENTRIES_CASES)
def test_changed_entries_keep_every_stored_secret_over_two_runs(tmp_path, with_secrets, update_password, secrets, shape, infer):
    with_secrets.control("variant", {"config_shape": shape, "config_secrets": secrets, "config_infer": infer})
    options = dict(FULL, update_password=update_password, write_scope="changed_entries")
    first = run(tmp_path, with_secrets, options)
    assert first.rc == 0, first.stdout
    assert sorted(first.result["changed_keys"]) == sorted(EXPECTED)
    second = run(tmp_path, with_secrets, options)
    assert second.rc == 0, second.stdout
    # The password shows masked: always writes it again (and only it), on_create keeps it.
    assert second.result["changed_keys"] == (["mlops.mlflow.password"] if update_password == "always" else [])
    assert stored(with_secrets) == dict(UNRELATED, **dict(OTHER_SECRETS, **EXPECTED))


def test_changed_entries_on_a_replacing_server_fail_naming_what_is_gone(tmp_path, with_secrets):
    with_secrets.control("variant", {"config_post": "replace"})
    result = run(tmp_path, with_secrets, dict(FULL, write_scope="changed_entries"))
    assert result.rc != 0
    assert ("Sparkflows replaced its whole configuration set with the 6 changed entries: app.unrelated.setting, "
            "mlops.aws.s3.secret.key, mlops.kubeflow.password, mlops.models.state.values are gone"
            in result.result["msg"]), result.result["msg"]
    assert MLFLOW_PASSWORD not in result.stdout


def test_a_failed_write_is_undone_without_writing_a_mask(tmp_path, seeded):
    assert run(tmp_path, seeded, {"tracking_url": FULL["tracking_url"], "password": MLFLOW_PASSWORD}).rc == 0
    seeded.control("variant", {"unknown_keys": "drop"})
    result = run(tmp_path, seeded, {"password": "N3w-Passw0rd-9", "fire_mlops_host": "mlflow.lab",
                                    "fire_mlops_port": 8086})
    assert result.rc != 0
    assert ("the configuration was restored as it was read (but for mlops.mlflow.password, which it showed "
            "masked: written as given)" in result.result["msg"]), result.result["msg"]
    after = stored(seeded)
    assert after["mlops.mlflow.password"] == "N3w-Passw0rd-9"
    assert not any(value == "********" for value in after.values())


@pytest.mark.parametrize("post", VARIANTS["config_post"])
def test_keys_the_server_does_not_keep_fail_and_the_configuration_is_restored(tmp_path, seeded, post):
    seeded.control("variant", {"unknown_keys": "drop", "config_post": post})
    before = text_values(seeded)
    result = run(tmp_path, seeded, FULL)
    assert result.rc != 0
    message = result.result["msg"]
    for key in ("mlops.mlflow.username", "mlops.mlflow.password", "mlops.fire.mlops.host", "mlops.fire.mlops.port"):
        assert key in message, message
    assert "the configuration was restored as it was read" in message
    assert "key_map (for the options fire_mlops_host, fire_mlops_port, password, username)" in message
    assert MLFLOW_PASSWORD not in result.stdout
    assert text_values(seeded) == before

    # Only the documented keys: kept, and the run succeeds.
    documented = {"tracking_url": FULL["tracking_url"], "deploy_mode": "local"}
    assert run(tmp_path, seeded, documented).rc == 0
    assert text_values(seeded) == dict(before, **{"mlops.mlflow.trackingURL": FULL["tracking_url"],
                                                  "mlops.mlflow.deploy.mode": "local"})


SECRET_SETTINGS = {"mlops.aws.s3.secret.key": "S3-S3cret-Value-41", "mlops.aws.s3.access.key": "AKIA-Acc3ss-42",
                   "mlops.custom.blob": "Blob-S3cret-Value-43"}


@pytest.mark.parametrize("callback, args", [("default", ["-vvv", "--diff"]), ("json", ["--diff"]),
                                            ("ansible.posix.jsonl", ["--diff"])])
def test_secret_settings_never_appear_in_output(tmp_path, seeded, callback, args):
    options = {"settings": SECRET_SETTINGS, "secret_settings": ["mlops.custom.blob"]}
    result = run(tmp_path, seeded, options, args=args, callback=callback)
    assert result.rc == 0, result.stdout
    for value in SECRET_SETTINGS.values():
        assert value not in result.stdout + result.stderr, "%s shown by the %s callback" % (value, callback)
        assert value in stored(seeded).values()
