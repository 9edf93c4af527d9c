"""mlflow_config: desired values, the change plan, the masked diff, and write() against the emulator
(which shows secrets masked): what is written, refused, checked and undone."""

import json
import urllib.request

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.mlflow_config import (
    DEFAULT_KEY_MAP,
    desired_values,
    diff_of,
    dropped,
    key_map,
    not_kept,
    plan,
    restore_values,
    secret_keys_of,
    validate,
    write,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import MASK
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import SparkflowsClient, SparkflowsError
from emulator.fixtures import ADMIN_TOKEN, seed_configurations

PASSWORD_KEY = DEFAULT_KEY_MAP["password"]
SECRETS = {PASSWORD_KEY}


def params(**given):
    base = dict(state="present", settings={}, secret_settings=[], key_map={}, update_password="always",
                write_scope="whole_set")
    base.update(dict((option, None) for option in DEFAULT_KEY_MAP))
    base.update(given)
    return base


def test_only_options_set_are_managed():
    desired = desired_values(params(tracking_url="http://mlflow:5000", fire_mlops_port=8086), DEFAULT_KEY_MAP)
    assert desired == {"mlops.mlflow.trackingURL": "http://mlflow:5000", "mlops.fire.mlops.port": "8086"}


def test_settings_are_stored_as_strings_booleans_lowercase():
    desired = desired_values(params(settings={"mlops.aws.s3.ignore.tls": True, "mlops.port": 5000}), DEFAULT_KEY_MAP)
    assert desired == {"mlops.aws.s3.ignore.tls": "true", "mlops.port": "5000"}


def test_absent_empties_every_mapped_key_and_settings():
    desired = desired_values(params(state="absent", settings={"mlops.port": 1}), DEFAULT_KEY_MAP)
    assert desired == dict((key, "") for key in list(DEFAULT_KEY_MAP.values()) + ["mlops.port"])


def test_key_map_overrides_and_rejects_unknown_names():
    mapping = key_map({"username": "mlops.mlflow.user"})
    assert mapping["username"] == "mlops.mlflow.user"
    assert mapping["tracking_url"] == DEFAULT_KEY_MAP["tracking_url"]
    with pytest.raises(SparkflowsError, match="key_map has unknown option names trackingurl"):
        key_map({"trackingurl": "x"})


def test_plan_writes_only_differences():
    current = {"mlops.mlflow.trackingURL": "http://a:5000", "mlops.mlflow.deploy.mode": "local"}
    desired = {"mlops.mlflow.trackingURL": "http://a:5000", "mlops.mlflow.deploy.mode": "remote"}
    assert plan(current, desired, SECRETS, "always") == {"mlops.mlflow.deploy.mode": "remote"}
    assert plan(current, dict(current), SECRETS, "always") == {}


def test_missing_and_null_stored_values_equal_empty():
    assert plan({"k": None}, {"k": "", "j": ""}, SECRETS, "always") == {}


def test_password_on_create_keeps_a_stored_password():
    assert plan({PASSWORD_KEY: "old"}, {PASSWORD_KEY: "new"}, SECRETS, "on_create") == {}
    assert plan({}, {PASSWORD_KEY: "new"}, SECRETS, "on_create") == {PASSWORD_KEY: "new"}
    assert plan({PASSWORD_KEY: "old"}, {PASSWORD_KEY: "new"}, SECRETS, "always") == {PASSWORD_KEY: "new"}


def test_diff_masks_secrets_and_marks_a_changed_password():
    current = {PASSWORD_KEY: "old-secret", "mlops.mlflow.deploy.mode": "local"}
    desired = {PASSWORD_KEY: "new-secret", "mlops.mlflow.deploy.mode": "remote"}
    diff = diff_of(current, desired, plan(current, desired, SECRETS, "always"), SECRETS)
    assert diff == {
        "before": {PASSWORD_KEY: MASK, "mlops.mlflow.deploy.mode": "local"},
        "after": {PASSWORD_KEY: MASK + " (changed)", "mlops.mlflow.deploy.mode": "remote"},
    }
    assert "secret" not in repr(diff).replace("(changed)", "")


def test_diff_masks_secret_looking_settings():
    diff = diff_of({}, {"mlops.aws.s3.secret.key": "abc"}, {"mlops.aws.s3.secret.key": "abc"}, SECRETS)
    assert diff["after"] == {"mlops.aws.s3.secret.key": MASK}


@pytest.mark.parametrize("given, message", [
    (dict(tracking_url="mlflow:5000"), "tracking_url must be an absolute http"),
    (dict(tracking_url="http://mlflow:notaport"), "tracking_url has an invalid port"),
    (dict(fire_mlops_port=70000), "fire_mlops_port must be between 1 and 65535"),
    (dict(settings={"mlops.x": ["a"]}), "settings.mlops.x must be a string"),
])
def test_bad_input_is_refused(given, message):
    with pytest.raises(SparkflowsError, match=message):
        validate(params(**given))


def test_not_kept_compares_values_not_just_presence():
    # A different non-empty value was not kept, whether or not the key names a secret.
    assert not_kept({"mlops.port": "5001", PASSWORD_KEY: "new"}, {"mlops.port": "5000", PASSWORD_KEY: "old"}) == {
        "mlops.port": "5000", PASSWORD_KEY: "old"}
    assert not_kept({"a": "1"}, {}) == {"a": ""}
    assert not_kept({"a": ""}, {"a": "x"}) == {"a": "x"}
    assert not_kept({"a": "1", "b": ""}, {"a": "1"}) == {}


def test_a_value_read_back_masked_counts_as_kept_only_when_one_was_written():
    assert not_kept({PASSWORD_KEY: "new", "b": "x"}, {PASSWORD_KEY: "********", "b": "[PROTECTED]"}) == {}
    assert not_kept({PASSWORD_KEY: ""}, {PASSWORD_KEY: "********"}) == {PASSWORD_KEY: "********"}


def test_restore_puts_back_what_was_read_and_never_a_mask():
    original = {"a": "1", PASSWORD_KEY: "********", "c": None}
    changes = {"a": "2", PASSWORD_KEY: "new", "c": "3", "d": "4"}
    assert restore_values(original, changes) == {"a": "1", PASSWORD_KEY: "new", "c": "", "d": ""}


def test_dropped_names_the_keys_with_values_that_vanished():
    before = {"a": "1", "b": "", "c": "3", "kept": "k", "written": "w"}
    after = {"kept": "k", "written": "x"}
    assert dropped(before, after, {"written": "x", "c": "3"}) == ["a"]
    assert dropped(before, dict(after, a="1"), {}) == ["c"]


def test_plan_with_a_stored_value_shown_masked():
    current = {PASSWORD_KEY: "********"}
    assert plan(current, {PASSWORD_KEY: "p"}, SECRETS, "always") == {PASSWORD_KEY: "p"}
    assert plan(current, {PASSWORD_KEY: "p"}, SECRETS, "on_create") == {}
    assert plan(current, {PASSWORD_KEY: ""}, SECRETS, "on_create") == {PASSWORD_KEY: ""}


def test_secret_keys_are_the_passwords_the_listed_and_the_secret_looking_settings():
    given = params(settings={"mlops.aws.s3.secret.key": "s", "mlops.port": 1, "mlops.blob": "b"},
                   secret_settings=["mlops.blob", "mlops.not.given"])
    expected = {PASSWORD_KEY, "mlops.aws.s3.secret.key", "mlops.aws.s3.access.key", "mlops.kubeflow.password",
                "mlops.blob", "mlops.not.given"}
    assert secret_keys_of(given, DEFAULT_KEY_MAP) == expected


# -- write(): against the emulator, which shows secrets masked ------------------------------

def posted(server):
    return [r for r in server.requests() if r["method"] == "POST"]


def stored(server):
    """What the emulator stores, secrets in clear (its GET shows them masked)."""
    with urllib.request.urlopen(server.url + "/_emulator/configurations", timeout=10) as answer:
        return json.loads(answer.read())


def write_to(server, changes, check_mode=False, **given):
    client = SparkflowsClient(server.url, api_token=ADMIN_TOKEN)
    return write(client, client.configurations(), changes, params(**given), SECRETS, check_mode)


@pytest.fixture
def server(emulator):
    seed_configurations(emulator, {"other.key": "keep", "mlops.aws.s3.secret.key": "S3-kept", PASSWORD_KEY: "old"})
    return emulator


def test_a_whole_set_write_with_another_masked_value_is_refused_before_a_post(server):
    for check_mode in (False, True):
        with pytest.raises(SparkflowsError, match=r"^Sparkflows showed mlops.aws.s3.secret.key masked: .*nothing was "
                                                  r"written\. If this Sparkflows keeps the settings a POST does not "
                                                  r"name, set write_scope: changed_entries"):
            write_to(server, {PASSWORD_KEY: "new", "mlops.port": "5001"}, check_mode)
    assert posted(server) == []
    assert stored(server)["mlops.aws.s3.secret.key"] == "S3-kept"


def test_changed_entries_write_only_the_changes_and_keep_the_rest(server):
    write_to(server, {"mlops.port": "5001"}, write_scope="changed_entries")
    expected = {"other.key": "keep", "mlops.aws.s3.secret.key": "S3-kept", PASSWORD_KEY: "old", "mlops.port": "5001"}
    assert stored(server) == expected
    assert len(posted(server)) == 1


def test_check_mode_reads_and_posts_nothing(server):
    write_to(server, {"mlops.port": "5001"}, check_mode=True, write_scope="changed_entries")
    assert posted(server) == []
    assert "mlops.port" not in stored(server)


def test_a_replacing_server_under_changed_entries_fails_naming_what_is_gone(server):
    server.control("variant", {"config_post": "replace"})
    with pytest.raises(SparkflowsError, match=r"^Sparkflows replaced its whole configuration set with the 1 changed "
                                              r"entries: mlops.aws.s3.secret.key, mlops.mlflow.password, other.key "
                                              r"are gone\."):
        write_to(server, {"mlops.port": "5001"}, write_scope="changed_entries")


def test_a_key_not_kept_is_undone_and_named_with_its_option(server):
    server.control("variant", {"unknown_keys": "drop"})
    with pytest.raises(SparkflowsError) as failed:
        write_to(server, {PASSWORD_KEY: "new", "mlops.fire.mlops.host": "h", "mlops.port": "5001"},
                 write_scope="changed_entries")
    message = str(failed.value)
    assert message.startswith("Sparkflows did not keep mlops.fire.mlops.host (reads back ''); the configuration was "
                              "restored as it was read (but for mlops.mlflow.password, which it showed masked: written "
                              "as given)."), message
    assert "key_map (for the options fire_mlops_host)" in message
    assert "new" not in message.replace("newer", "")
    after = stored(server)
    assert (after[PASSWORD_KEY], after["mlops.port"], after["mlops.aws.s3.secret.key"]) == ("new", "", "S3-kept")
    assert "********" not in after.values()


def test_a_whole_set_undo_writes_the_set_as_read_without_a_mask(emulator):
    seed_configurations(emulator, {"other.key": "keep", PASSWORD_KEY: "old"})
    emulator.control("variant", {"unknown_keys": "drop"})
    with pytest.raises(SparkflowsError, match="Sparkflows did not keep mlops.fire.mlops.host"):
        write_to(emulator, {PASSWORD_KEY: "new", "mlops.fire.mlops.host": "h"})
    # The undefined key is dropped again by this server; the password keeps the value written.
    assert stored(emulator) == {"other.key": "keep", PASSWORD_KEY: "new"}
    assert len(posted(emulator)) == 2
