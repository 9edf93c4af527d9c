"""The scorer_container option model: release matching, input validation, and what counts as a change,
against the recorded `docker inspect` of a container the module made."""

import json
import pathlib

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.options import (
    ARGUMENT_SPEC,
    IN_PLACE,
    SECRET_MAPS,
    ScorerError,
    in_place,
    desired_state,
    differences,
    for_diff,
    image_tag,
    observed_state,
    secret_labels,
    validate,
)

RECORDED = json.loads((pathlib.Path(__file__).parent.parent / "fixtures" / "scorer_container_inspect.json").read_text())
SHA = "a" * 64


def params(**overrides):
    """Module parameters with the defaults of the argument spec, as AnsibleModule fills them."""
    values = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
    values.update(name="sc-test", image="127.0.0.1:5050/sparkflows/scorer", sparkflows_release="3.1.0",
                  model_path="/tmp/sc/model.zip", host_port=18501, bind_address="127.0.0.1", memory="256m",
                  cpus=0.5, model_id="101", model_sha256=SHA)
    values.update(overrides)
    return values


def recorded_changes(**overrides):
    values = params(**overrides)
    desired = desired_state(values, RECORDED["Image"], image_tag(values))
    return differences(observed_state(RECORDED, desired), desired)


def test_tag_defaults_to_the_release_through_the_format():
    assert image_tag(params()) == "3.1.0"
    assert image_tag(params(image_tag_format="py_3.2.1_{release}")) == "py_3.2.1_3.1.0"
    assert image_tag(params(sparkflows_release=None, image_tag="custom")) == "custom"


@pytest.mark.parametrize("overrides, message", [
    (dict(image_tag="3.2.0"), "image tag 3.2.0 does not match Sparkflows release 3.1.0 (expected tag 3.1.0)"),
    (dict(sparkflows_release=None), "set image_tag or sparkflows_release"),
    (dict(image_tag_format="{version}"), "image_tag_format '{version}' must use only {release}"),
])
def test_tag_refusals(overrides, message):
    with pytest.raises(ScorerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        image_tag(params(**overrides))


def test_mismatch_runs_when_allowed():
    assert image_tag(params(image_tag="3.2.0", allow_release_mismatch=True)) == "3.2.0"


@pytest.mark.parametrize("overrides, message", [
    (dict(image="reg.example.net/scorer:3.1.0"), "image is the repository without a tag"),
    (dict(host_port=70000), "host_port must be a TCP port between 1 and 65535"),
    (dict(container_port=0), "container_port must be a TCP port"),
    (dict(model_mount="model"), "model_mount must be an absolute path"),
    (dict(memory="lots"), "memory must be a size such as 512m"),
    (dict(cpus=-1.0), "cpus must be 0 \\(no limit\\) or more"),
    (dict(health_timeout=0), "health_timeout must be more than 0"),
    (dict(health_path="health"), "health_path must start with /"),
    (dict(smoke_payload="{not json"), "smoke_payload is not valid JSON"),
])
def test_bad_input(tmp_path, overrides, message):
    model = tmp_path / "model.zip"
    model.write_bytes(b"PK")
    with pytest.raises(ScorerError, match=message):
        validate(params(model_path=str(model), **overrides))


def test_missing_model_path_names_the_fetch_module(tmp_path):
    with pytest.raises(ScorerError, match="model_path .*nope.zip does not exist on this host .*sparkflows_model_fetch"):
        validate(params(model_path=str(tmp_path / "nope.zip")))


def test_smoke_payload_json_string_becomes_a_document(tmp_path):
    model = tmp_path / "model.zip"
    model.write_bytes(b"PK")
    values = params(model_path=str(model), smoke_payload='{"columns": ["a"], "data": [[1]]}')
    validate(values)
    assert values["smoke_payload"] == {"columns": ["a"], "data": [[1]]}


def test_the_recorded_container_matches_its_own_parameters():
    assert recorded_changes() == []


def test_fields_the_user_did_not_set_are_not_compared():
    # The recorded container has limits; leaving them out of the parameters is not a change.
    assert recorded_changes(memory=None, cpus=None, host_port=None) == []


@pytest.mark.parametrize("overrides, changed", [
    (dict(model_sha256="b" * 64), ["labels"]),
    (dict(model_path="/tmp/sc/other.zip"), ["model"]),
    (dict(model_mount="/models/churn"), ["model"]),
    (dict(host_port=18502), ["port"]),
    (dict(bind_address="0.0.0.0"), ["port"]),
    (dict(env={"SCORER_THREADS": "4"}), ["env", "labels"]),  # labels: the env names label
    (dict(sparkflows_release="3.2.0"), ["image", "labels"]),
    (dict(memory="512m"), ["memory"]),
    (dict(cpus=1.0), ["cpus"]),
    (dict(restart_policy="always"), ["restart_policy"]),
])
def test_each_difference_is_found(overrides, changed):
    assert recorded_changes(**overrides) == changed


def test_only_limits_and_restart_policy_change_in_place():
    assert sorted(IN_PLACE) == ["cpus", "memory", "restart_policy"]


@pytest.mark.parametrize("overrides, changed", [
    (dict(memory="0"), ["memory"]),
    (dict(cpus=0.0), ["cpus"]),
])
def test_lifting_a_limit_is_a_change_that_recreates(overrides, changed):
    # The engine reads a limit of 0 in an update as "unchanged": only a new container lifts it.
    assert recorded_changes(**overrides) == changed
    desired = desired_state(params(**overrides), RECORDED["Image"], "3.1.0")
    assert not in_place(changed[0], desired)
    assert in_place(changed[0], desired_state(params(memory="512m", cpus=1.0), RECORDED["Image"], "3.1.0"))


def test_an_env_name_set_before_and_dropped_now_is_a_change():
    # The recorded container was made with no env of ours; one with THREADS, then without it.
    with_threads = dict(RECORDED, Config=dict(RECORDED["Config"], Env=RECORDED["Config"]["Env"] + ["THREADS=4"],
                                              Labels=dict(RECORDED["Config"]["Labels"],
                                                          **{"io.sparkflows.env.names": "THREADS"})))
    desired = desired_state(params(), RECORDED["Image"], "3.1.0")
    assert differences(observed_state(with_threads, desired), desired) == ["labels"]
    assert not in_place("labels", desired)


def test_an_other_image_id_is_a_change():
    desired = desired_state(params(), "sha256:" + "f" * 64, "3.1.0")
    assert differences(observed_state(RECORDED, desired), desired) == ["image_id"]


def test_diff_masks_secret_looking_env_values():
    shown = for_diff(desired_state(params(env={"DB_PASSWORD": "hunter2", "THREADS": 4}), "sha256:x", "3.1.0"))
    assert shown["env"] == {"DB_PASSWORD": "********", "THREADS": "4"}


def test_diff_masks_env_values_named_in_secret_env_and_secret_looking_labels():
    state = desired_state(params(env={"DSN": "postgres://u:pw@db/x", "THREADS": 4},
                                 labels={"team": "churn", "api_token": "t0k3n"}), "sha256:x", "3.1.0")
    shown = for_diff(state, ["DSN"])
    assert shown["env"] == {"DSN": "********", "THREADS": "4"}
    assert (shown["labels"]["team"], shown["labels"]["api_token"]) == ("churn", "********")
    # Without the name listed, the value is shown (what secret_env is for).
    assert for_diff(state)["env"]["DSN"] == "postgres://u:pw@db/x"


def test_diff_of_an_unset_secret_shows_it_unset_and_an_old_secret_masked():
    # The container's value of a rotated secret is not among this run's values: masked by name.
    before = for_diff(dict(env={"DB_PASSWORD": "old-secret", "DSN": "old-dsn", "NEW_TOKEN": None}), ["DSN"])
    assert before["env"] == {"DB_PASSWORD": "********", "DSN": "********", "NEW_TOKEN": None}


def test_secret_looking_labels_are_named():
    assert secret_labels(params(labels={"team": "x", "DB_PASSWORD": "y", "io.example.api_key": "z"})) \
        == ["DB_PASSWORD", "io.example.api_key"]
    assert secret_labels(params()) == []


def test_secret_env_is_a_documented_list_of_names_not_itself_hidden():
    assert ARGUMENT_SPEC["secret_env"] == dict(type="list", elements="str", default=[], no_log=False)
    assert SECRET_MAPS == {"env": "secret_env", "labels": None}
