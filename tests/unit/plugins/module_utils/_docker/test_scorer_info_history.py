"""scorer_info's history of each scorer: its name without the prefix, and its previous version
that served, computed against the version it runs (model sha256 and the registry digest the
history recorded for the image id it runs)."""

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_rollback_items import scorer_rollback_items
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.history import ARGUMENT_SPEC, read, run
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.container_info import with_history

PREFIX = "sparkflows-scorer-"


@pytest.fixture(autouse=True)
def kept_files(monkeypatch):
    """The records' kept model files (/k/...) are on this host; any other path is looked up."""
    real = os.path.isfile
    monkeypatch.setattr(os.path, "isfile", lambda path: str(path).startswith("/k/") or real(path))


SHA_A, SHA_B = "a" * 64, "b" * 64
IMAGE_1, IMAGE_2 = "sha256:" + "e" * 64, "sha256:" + "f" * 64
DIGEST_1, DIGEST_2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def running(name="churn-model", sha=SHA_B, image_id=IMAGE_1, exists=True):
    return {"name": PREFIX + name, "exists": exists, "model_sha256": sha, "image_id": image_id}


def record(outcome, sha, image_id=IMAGE_1, digest=DIGEST_1, scorer="churn-model"):
    return {"scorer": scorer, "outcome": outcome, "model_sha256": sha, "image_id": image_id, "image_digest": digest,
            "kept_model": "/k/%s.zip" % sha}


def test_the_scorer_is_the_container_name_without_the_prefix():
    [scorer] = with_history([running()], [], PREFIX)
    assert scorer["scorer"] == "churn-model"


def test_a_name_without_the_prefix_or_no_prefix_is_kept_whole():
    scorers = with_history([{"name": "other", "exists": True}], [], PREFIX) + \
        with_history([running()], [], None)
    assert [s["scorer"] for s in scorers] == ["other", PREFIX + "churn-model"]


def test_previous_is_the_version_before_the_one_running():
    records = [record("deployed", SHA_A), record("deployed", SHA_B)]
    [scorer] = with_history([running()], records, PREFIX)
    assert scorer["previous"] is records[0]


def test_the_running_image_is_known_by_the_digest_recorded_for_its_id():
    # The container reports an image id; the history compares registry digests. Without the
    # id -> digest translation the running version (SHA_B, DIGEST_2) would be its own previous.
    records = [record("deployed", SHA_B, IMAGE_1, DIGEST_1), record("deployed", SHA_B, IMAGE_2, DIGEST_2)]
    [scorer] = with_history([running(sha=SHA_B, image_id=IMAGE_2)], records, PREFIX)
    assert scorer["previous"] is records[0]


def test_a_version_that_did_not_serve_is_no_previous():
    records = [record("deployed", SHA_A), record("canary_failed", SHA_B, IMAGE_2, DIGEST_2), record("rolled_back", SHA_A)]
    [scorer] = with_history([running(sha=SHA_A, image_id=IMAGE_1)], records, PREFIX)
    assert scorer["previous"] is None


def test_a_scorer_that_does_not_exist_has_no_previous():
    records = [record("deployed", SHA_A), record("deployed", SHA_B)]
    [scorer] = with_history([{"name": PREFIX + "churn-model", "exists": False, "running": False}], records, PREFIX)
    assert (scorer["scorer"], scorer["previous"]) == ("churn-model", None)


def test_each_scorer_reads_its_own_records():
    records = [record("deployed", SHA_A, scorer="upsell"), record("deployed", SHA_B, scorer="upsell"),
               record("deployed", SHA_B)]
    churn, upsell = with_history([running(), running("upsell")], records, PREFIX)
    assert churn["previous"] is None and upsell["previous"] is records[0]


def test_a_previous_version_whose_model_file_was_pruned_is_not_offered(tmp_path, fake_host):
    history_dir = tmp_path / "history"
    for sha in (SHA_A, SHA_B):
        model = tmp_path / ("%s.zip" % sha[:4])
        model.write_bytes(sha.encode())
        values = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
        values.update(path=str(history_dir), scorer="churn-model", outcome="deployed", model_path=str(model),
                      model_sha256=sha, image_id=IMAGE_1, image_digest=DIGEST_1, keep=1)
        run(values, False, fake_host)
    scorers = with_history([running(sha=SHA_B, image_id=IMAGE_1)], read(str(history_dir)), PREFIX)
    with pytest.raises(AnsibleFilterError, match="churn-model"):
        scorer_rollback_items(scorers, [{"name": "churn-model", "model_id": 101, "host_port": 8081}])
