"""scorer_container's image by registry digest (what a rollback runs): the reference used, its
validation, and the digest read back from a local image."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.options import (
    ARGUMENT_SPEC,
    ScorerError,
    desired_state,
    image_reference,
    repo_digest,
    validate,
)

REPO = "127.0.0.1:5050/sparkflows/scorer"
DIGEST = "sha256:" + "0123456789abcdef" * 4


def params(**overrides):
    """Module parameters with the defaults of the argument spec, as AnsibleModule fills them."""
    values = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
    values.update(name="sc-test", image=REPO, sparkflows_release="3.1.0", model_path="/tmp/sc/model.zip", host_port=18501,
                  bind_address="127.0.0.1", memory="256m", cpus=0.5, model_id="101", model_sha256="a" * 64)
    values.update(overrides)
    return values


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.zip"
    path.write_bytes(b"PK")
    return str(path)


def test_a_digest_is_run_by_digest_without_a_tag():
    assert image_reference(params(image_digest=DIGEST)) == ("%s@%s" % (REPO, DIGEST), None)


def test_a_digest_skips_the_release_check_of_the_tag():
    # A rollback returns to an image of an earlier release: its tag is not checked.
    assert image_reference(params(image_digest=DIGEST, image_tag="2.9.0")) == ("%s@%s" % (REPO, DIGEST), None)


def test_without_a_digest_the_tag_of_the_release_is_used():
    assert image_reference(params()) == ("%s:3.1.0" % REPO, "3.1.0")
    with pytest.raises(ScorerError, match="image tag 2.9.0 does not match Sparkflows release 3.1.0"):
        image_reference(params(image_tag="2.9.0"))


def test_the_desired_image_is_the_digest_reference():
    assert desired_state(params(image_digest=DIGEST), "sha256:" + "e" * 64, None)["image"] == "%s@%s" % (REPO, DIGEST)


def test_a_well_formed_digest_is_accepted(model):
    assert validate(params(model_path=model, image_digest=DIGEST)) is None


@pytest.mark.parametrize("digest", [
    "0123456789abcdef" * 4,                # no algorithm
    "sha256:" + "0123456789ABCDEF" * 4,    # upper case
    "sha256:" + "0" * 63,                  # too short
    "sha256:" + "0" * 65,                  # too long
    "sha512:" + "0" * 64,
    "sha256:" + "g" * 64,
    "%s@sha256:%s" % (REPO, "0" * 64),     # a whole reference
])
def test_a_malformed_digest_is_refused(model, digest):
    with pytest.raises(ScorerError, match="image_digest must be sha256: and 64 lower-case hex digits, got "):
        validate(params(model_path=model, image_digest=digest))


def test_repo_digest_is_the_entry_of_the_same_repository():
    image = {"RepoDigests": ["registry.example.net/sparkflows/scorer@sha256:" + "9" * 64,
                             "%s@%s" % (REPO, DIGEST), "%s-extra@sha256:%s" % (REPO, "8" * 64)]}
    assert repo_digest(image, REPO) == DIGEST


@pytest.mark.parametrize("image", [None, {}, {"RepoDigests": None}, {"RepoDigests": []},
                                   {"RepoDigests": ["registry.example.net/sparkflows/scorer@sha256:" + "9" * 64]},
                                   {"RepoDigests": [REPO + "@"]}])
def test_repo_digest_is_none_for_an_image_never_pulled_from_the_repository(image):
    assert repo_digest(image, REPO) is None
