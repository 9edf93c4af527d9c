"""The deployment history of a scorer host, on real files: the JSON lines appended, the model
files kept (hard links) and pruned, removal, check mode, and the previous version that served."""

import json
import os

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer import history
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.history import (
    ARGUMENT_SPEC,
    change,
    previous_good,
    read,
    run,
)

SHA_A, SHA_B, SHA_C, SHA_D = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)
DIGEST_1, DIGEST_2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def ALL_KEPT(_path):  # noqa: N802 (a constant predicate)
    """Every kept model file is still there (these records name no real files)."""
    return True


@pytest.fixture
def place(tmp_path):
    """The history directory (not created yet) and a writer of fetched model files."""
    fetched = tmp_path / "fetched"
    fetched.mkdir()

    def model_file(name="churn-model.zip", content=b"PK model"):
        path = fetched / name
        path.write_bytes(content)
        return str(path)

    model_file.history = tmp_path / "history"
    return model_file


def params(path, **overrides):
    """Module parameters with the argument spec's defaults, as AnsibleModule fills them."""
    values = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
    values.update(path=str(path), scorer="churn-model", outcome="deployed", container="sparkflows-scorer-churn-model",
                  model_id="101", image="registry:5000/sparkflows/scorer", image_id="sha256:" + "e" * 64,
                  image_digest=DIGEST_1, release="3.1.0", actor="ops@ctl")
    values.update(overrides)
    return values


def log_lines(path):
    return [json.loads(line) for line in (path / "deployments.jsonl").read_text().splitlines()]


def deploy(place, sha, name=None, **overrides):
    model = place(name or "%s.zip" % sha[:4], content=sha.encode())
    return change(params(place.history, model_path=model, model_sha256=sha, **overrides), check_mode=False)


def test_a_deployed_version_keeps_its_model_file_as_a_hard_link_and_is_logged(place):
    model = place()
    result = change(params(place.history, model_path=model, model_sha256=SHA_A.upper()), check_mode=False)
    kept = place.history / "models" / "churn-model" / ("%s.zip" % SHA_A)
    assert result["changed"] is True and result["removed"] == []
    assert result["record"]["kept_model"] == str(kept)
    assert os.stat(str(kept)).st_ino == os.stat(model).st_ino
    [line] = log_lines(place.history)
    assert line == result["record"]
    assert (line["scorer"], line["outcome"], line["model_sha256"], line["image_digest"], line["actor"]) \
        == ("churn-model", "deployed", SHA_A, DIGEST_1, "ops@ctl")
    assert line["time"].endswith("+00:00")


def test_records_are_appended_one_line_each(place):
    deploy(place, SHA_A)
    deploy(place, SHA_B)
    assert [r["model_sha256"] for r in log_lines(place.history)] == [SHA_A, SHA_B]


def test_a_copy_is_kept_where_a_hard_link_cannot_be_made(place, monkeypatch):
    def no_link(source, target):
        raise OSError(18, "Invalid cross-device link")
    monkeypatch.setattr(history.os, "link", no_link)
    model = place(content=b"the model bytes")
    kept = change(params(place.history, model_path=model, model_sha256=SHA_A), check_mode=False)["record"]["kept_model"]
    assert os.stat(kept).st_ino != os.stat(model).st_ino
    assert open(kept, "rb").read() == b"the model bytes"
    assert os.stat(kept).st_mode & 0o777 == 0o644


def test_check_mode_writes_nothing_but_returns_the_record(place):
    model = place()
    result = change(params(place.history, model_path=model, model_sha256=SHA_A), check_mode=True)
    assert result["changed"] is True
    assert (result["record"]["outcome"], result["record"]["model_sha256"]) == ("deployed", SHA_A)
    assert result["record"]["kept_model"].endswith("/models/churn-model/%s.zip" % SHA_A)
    assert not place.history.exists()


def test_a_failed_version_keeps_no_file(place):
    result = change(params(place.history, outcome="failed", model_path=place(), model_sha256=SHA_A, reason="boom"),
                    check_mode=False)
    assert result["record"]["kept_model"] is None
    assert not (place.history / "models").exists()
    assert [(r["outcome"], r["reason"]) for r in log_lines(place.history)] == [("failed", "boom")]


def test_only_the_last_keep_versions_that_served_keep_their_files(place):
    deploy(place, SHA_A, keep=2)
    deploy(place, SHA_B, keep=2)
    change(params(place.history, outcome="failed", model_path=place(), model_sha256=SHA_D, keep=2), check_mode=False)
    result = deploy(place, SHA_C, keep=2)
    assert result["removed"] == ["%s.zip" % SHA_A]
    assert sorted(os.listdir(str(place.history / "models" / "churn-model"))) == ["%s.zip" % SHA_B, "%s.zip" % SHA_C]


def test_a_version_served_twice_counts_once_when_pruning(place):
    for sha in (SHA_A, SHA_B, SHA_A):
        deploy(place, sha, keep=2)
    assert sorted(os.listdir(str(place.history / "models" / "churn-model"))) == ["%s.zip" % SHA_A, "%s.zip" % SHA_B]


def test_pruning_leaves_other_scorers_alone(place):
    deploy(place, SHA_A, scorer="upsell", keep=1)
    deploy(place, SHA_B, keep=1)
    deploy(place, SHA_C, keep=1)
    assert os.listdir(str(place.history / "models" / "upsell")) == ["%s.zip" % SHA_A]
    assert os.listdir(str(place.history / "models" / "churn-model")) == ["%s.zip" % SHA_C]


def test_state_absent_removes_the_kept_files_and_records_the_removal(place):
    deploy(place, SHA_A)
    deploy(place, SHA_B, scorer="upsell")
    result = change(params(place.history, state="absent", outcome=None), check_mode=False)
    assert (result["changed"], result["removed"], result["record"]["outcome"]) == (True, ["%s.zip" % SHA_A], "removed")
    assert not (place.history / "models" / "churn-model").exists()
    assert (place.history / "models" / "upsell").exists()
    assert [(r["scorer"], r["outcome"]) for r in log_lines(place.history)][-1] == ("churn-model", "removed")


def test_state_absent_in_check_mode_removes_nothing(place):
    deploy(place, SHA_A)
    result = change(params(place.history, state="absent", outcome=None), check_mode=True)
    assert (result["changed"], result["removed"]) == (True, ["%s.zip" % SHA_A])
    assert (place.history / "models" / "churn-model" / ("%s.zip" % SHA_A)).exists()
    assert len(log_lines(place.history)) == 1


def test_state_absent_of_an_unknown_scorer_changes_nothing(place):
    deploy(place, SHA_A, scorer="upsell")
    result = change(params(place.history, state="absent", outcome=None), check_mode=False)
    assert result == dict(changed=False, record=None, removed=[])
    assert len(log_lines(place.history)) == 1


def test_state_absent_twice_changes_nothing_the_second_time(place):
    deploy(place, SHA_A)
    change(params(place.history, state="absent", outcome=None), check_mode=False)
    again = change(params(place.history, state="absent", outcome=None), check_mode=False)
    assert again["changed"] is False
    assert [r["outcome"] for r in log_lines(place.history)] == ["deployed", "removed"]


def test_read_skips_a_half_written_line_and_filters_by_scorer(tmp_path):
    lines = [json.dumps({"scorer": "churn-model", "outcome": "deployed", "n": 1}), '{"scorer": "churn-model", "outc',
             json.dumps({"scorer": "upsell", "outcome": "deployed", "n": 2}), "[1, 2]", "",
             json.dumps({"scorer": "churn-model", "outcome": "failed", "n": 3})]
    (tmp_path / "deployments.jsonl").write_text("\n".join(lines) + "\n")
    assert [r["n"] for r in read(str(tmp_path))] == [1, 2, 3]
    assert [r["n"] for r in read(str(tmp_path), "churn-model")] == [1, 3]
    assert [r["n"] for r in read(str(tmp_path), limit=2)] == [2, 3]


def test_read_of_no_history_is_empty(tmp_path):
    assert read(str(tmp_path / "none")) == []


def test_a_record_appended_after_a_cut_line_is_kept(place):
    deploy(place, SHA_A)
    with open(str(place.history / "deployments.jsonl"), "a") as log:
        log.write('{"scorer": "churn-model", "outcome": "depl')  # a write cut by a crash, no newline
    deploy(place, SHA_B)
    assert [r["model_sha256"] for r in read(str(place.history), "churn-model")] == [SHA_A, SHA_B]
    assert (place.history / "models" / "churn-model" / ("%s.zip" % SHA_B)).exists()


def record(outcome, sha, digest=DIGEST_1, scorer="churn-model", **extra):
    entry = dict(scorer=scorer, outcome=outcome, model_sha256=sha, image_digest=digest, kept_model="/k/%s.zip" % sha)
    entry.update(extra)
    return entry


def test_previous_good_is_the_last_served_version_other_than_the_current_one():
    records = [record("deployed", SHA_A), record("deployed", SHA_B), record("failed", SHA_C), record("canary_failed", SHA_D)]
    assert previous_good(records, "churn-model", (SHA_B, DIGEST_1), kept=ALL_KEPT) is records[0]


def test_previous_good_counts_a_new_image_as_a_new_version():
    records = [record("deployed", SHA_A, DIGEST_1), record("deployed", SHA_A, DIGEST_2)]
    assert previous_good(records, "churn-model", (SHA_A, DIGEST_2), kept=ALL_KEPT) is records[0]


def test_previous_good_falls_back_on_the_image_id_without_a_digest():
    records = [record("deployed", SHA_A, None, image_id="sha256:old"), record("deployed", SHA_A, None, image_id="sha256:new")]
    assert previous_good(records, "churn-model", (SHA_A, "sha256:new"), kept=ALL_KEPT) is records[0]


def test_previous_good_counts_a_rollback_as_served_and_skips_other_scorers():
    records = [record("deployed", SHA_A), record("rolled_back", SHA_C), record("deployed", SHA_D, scorer="upsell"),
               record("removed", None), record("deployed", SHA_B)]
    assert previous_good(records, "churn-model", (SHA_B, DIGEST_1), kept=ALL_KEPT) is records[1]


def test_previous_good_is_none_without_an_earlier_version():
    records = [record("failed", SHA_A), record("deployed", SHA_B), record("deployed", SHA_B)]
    assert previous_good(records, "churn-model", (SHA_B, DIGEST_1), kept=ALL_KEPT) is None
    assert previous_good([], "churn-model", (SHA_B, DIGEST_1), kept=ALL_KEPT) is None


@pytest.mark.parametrize("missing", ["model_path", "model_sha256"])
@pytest.mark.parametrize("outcome", ["deployed", "rolled_back"])
def test_a_served_version_without_its_model_file_or_digest_is_refused(place, missing, outcome, fake_host):
    values = params(place.history, outcome=outcome, model_path=place(), model_sha256=SHA_A)
    values[missing] = None
    with pytest.raises(ModuleFailure, match="a %s version needs model_path and model_sha256" % outcome):
        run(values, False, fake_host)
    assert not place.history.exists()


def test_a_served_version_whose_model_file_is_not_there_is_refused(place, fake_host):
    with pytest.raises(ModuleFailure, match="model_path /nowhere/model.zip is not a file on this host"):
        run(params(place.history, model_path="/nowhere/model.zip", model_sha256=SHA_A), False, fake_host)


@pytest.mark.parametrize("keep", [0, -1])
def test_keep_below_one_is_refused(place, keep, fake_host):
    with pytest.raises(ModuleFailure, match="keep must be 1 or more, got %d" % keep):
        run(params(place.history, model_path=place(), model_sha256=SHA_A, keep=keep), False, fake_host)


def test_an_outcome_is_needed_to_record(place, fake_host):
    with pytest.raises(ModuleFailure, match="outcome is required"):
        run(params(place.history, outcome=None), False, fake_host)


def test_the_run_returns_the_record_with_its_diff_only_when_a_diff_is_asked(place, fake_host):
    values = params(place.history, model_path=place(), model_sha256=SHA_A)
    result = run(values, True, fake_host)
    assert result["changed"] is True and result["record"]["model_sha256"] == SHA_A and "diff" not in result
    fake_host.diff = True
    result = run(values, True, fake_host)
    assert result["diff"] == dict(before="", after=json.dumps(result["record"], sort_keys=True) + "\n")
    assert not place.history.exists()
    assert run(params(place.history, state="absent", outcome=None), True, fake_host)["diff"] == dict(before="", after="")


def test_a_history_that_cannot_be_written_fails_naming_its_directory(place, fake_host):
    blocked = place.history
    blocked.write_text("a file where the directory should be")
    with pytest.raises(ModuleFailure, match="^cannot write the deployment history under %s: " % blocked):
        run(params(blocked, outcome="failed"), False, fake_host)
