"""The scorer image rules, and the filters that give them to the roles: the same answers."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.registry_host import registry_host
from ansible_collections.sparkflows.mlops.plugins.filter.scorer_image_tag import scorer_image_tag
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import (
    ImageRuleError,
    checked_tag,
    expected_tag,
    registry_of,
    tag_of,
)


@pytest.mark.parametrize("repository, registry", [
    ("127.0.0.1:5050/sparkflows/scorer", "127.0.0.1:5050"),
    ("registry.example.net/sparkflows/scorer", "registry.example.net"),
    ("localhost/scorer", "localhost"),
    ("sparkflows/scorer", None),
    ("scorer", None),
])
def test_registry_of(repository, registry):
    assert registry_of(repository) == registry
    # Docker Hub's org/image is not a host named org (the role once took split('/')[0]).
    assert registry_host(repository) == (registry or "docker.io")


def test_the_tag_of_a_release():
    assert expected_tag("3.1.0") == scorer_image_tag("3.1.0") == "3.1.0"
    assert scorer_image_tag("3.1.0", "py_3.2.1_{release}") == "py_3.2.1_3.1.0"


def test_a_format_with_other_fields_is_refused():
    with pytest.raises(ImageRuleError, match=r"image_tag_format '\{version\}' must use only \{release\}"):
        expected_tag("3.1.0", "{version}")
    with pytest.raises(AnsibleFilterError, match="must use only"):
        scorer_image_tag("3.1.0", "{version}")


def test_the_tag_to_run_is_the_given_one_else_the_release_s():
    assert checked_tag("3.1.0") == "3.1.0"
    assert checked_tag("3.1.0", "py_{release}", "py_3.1.0") == "py_3.1.0"
    assert checked_tag(None, "{release}", "custom") == "custom"
    assert checked_tag(None) is None
    assert checked_tag("3.1.0", given_tag="3.2.0", allow_mismatch=True) == "3.2.0"


def test_a_tag_of_another_release_is_refused_in_the_caller_s_names():
    with pytest.raises(ImageRuleError) as module_error:
        checked_tag("3.1.0", "{release}", "3.2.0")
    assert str(module_error.value) == ("image tag 3.2.0 does not match Sparkflows release 3.1.0 (expected tag 3.1.0); "
                                       "set allow_release_mismatch to run it anyway")
    with pytest.raises(ImageRuleError) as role_error:
        checked_tag("3.1.0", "{release}", "3.2.0", tag_name="scorer_image_tag",
                    allow_name="scorer_allow_release_mismatch", nothing_changed=True)
    assert str(role_error.value) == (
        "scorer_image_tag 3.2.0 does not match Sparkflows release 3.1.0 (expected tag 3.1.0); nothing was changed. "
        "Set scorer_allow_release_mismatch to run it anyway")


def test_the_filter_refuses_another_release_s_tag_in_the_role_s_names():
    assert scorer_image_tag("3.1.0", image_tag="") == "3.1.0"
    assert scorer_image_tag("3.1.0", "py_{release}", image_tag="py_3.1.0") == "py_3.1.0"
    assert scorer_image_tag("3.1.0", image_tag="3.2.0", allow_release_mismatch=True) == "3.2.0"
    with pytest.raises(AnsibleFilterError) as error:
        scorer_image_tag("3.1.0", "{release}", image_tag="3.2.0", allow_release_mismatch=False)
    # The text the scorer role's integration test looks for (roles/scorer/tasks/validate.yml).
    assert str(error.value).startswith(
        "scorer_image_tag 3.2.0 does not match Sparkflows release 3.1.0 (expected tag 3.1.0); nothing was changed")
    with pytest.raises(AnsibleFilterError, match="scorer_allow_release_mismatch must be a boolean, not 'no'"):
        scorer_image_tag("3.1.0", image_tag="3.2.0", allow_release_mismatch="no")


@pytest.mark.parametrize("reference, tag", [
    ("registry:5000/sparkflows/scorer:3.1.0", "3.1.0"),
    ("127.0.0.1:5050/sparkflows/scorer:py_3.2.1_3.1.0", "py_3.2.1_3.1.0"),
    # A registry's port is no tag: without one, the engine reads latest.
    ("registry:5000/sparkflows/scorer", "latest"),
    ("scorer", "latest"),
    ("registry:5000/sparkflows/scorer@sha256:" + "b" * 64, None),
])
def test_the_tag_an_image_reference_names(reference, tag):
    assert tag_of(reference) == tag


def test_the_scorer_images_port_routes_and_mount_are_role_scorers_defaults():
    import pathlib

    import yaml

    from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import (
        CONTAINER_PORT,
        HEALTH_PATH,
        MODEL_MOUNT,
        SCORING_PATH,
    )
    role = pathlib.Path(__file__).resolve().parents[5] / "roles" / "scorer"
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    expected = {"scorer_container_port": CONTAINER_PORT, "scorer_health_path": HEALTH_PATH,
                "scorer_scoring_path": SCORING_PATH, "scorer_model_mount": MODEL_MOUNT}
    assert dict((name, defaults[name]) for name in expected) == expected
    assert dict((name, options[name]["default"]) for name in expected) == expected
