"""sparkflows_model_info through ansible-playbook against the emulator, and the records it returns
given to sparkflows_model_fetch's model option: Sparkflows is asked once for every host, and a
host whose copy is current asks it nothing."""

import json

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import PATHS
from emulator.fixtures import ADMIN_TOKEN
from emulator.models import make_model_zip
from utils.playbook import run_playbook

CONNECTION = {"api_token": ADMIN_TOKEN}


def api_requests(emulator):
    return [r for r in emulator.requests() if not r["path"].startswith("/_emulator")]


@pytest.fixture
def models(emulator):
    """Models 101 (churn-model v1, Production) and 102 (churn-model v2, Staging), as zips."""
    make_model_zip(emulator.models_dir / "101.zip")
    make_model_zip(emulator.models_dir / "102.zip")
    return emulator


def read(tmp_path, emulator, models, **options):
    task = {"name": "Read", "sparkflows.mlops.sparkflows_model_info": dict(
        dict(CONNECTION, api_url=emulator.url, models=models), **options)}
    return run_playbook(tmp_path, [task])


def fetch_all(tmp_path, emulator, records, out, args=()):
    """sparkflows_model_fetch for each record (as every host of a plan would), one result each."""
    tasks = [{"name": "Fetch model %d" % index, "sparkflows.mlops.sparkflows_model_fetch": dict(
        CONNECTION, api_url=emulator.url, model=record, dest=str(out / ("%s.zip" % record.get("id", index))))}
        for index, record in enumerate(records)]
    return run_playbook(tmp_path, tasks, args=args)


def test_the_records_and_etags_in_two_plus_two_requests_per_model(tmp_path, models):
    result = read(tmp_path, models, [{"model_name": "churn-model", "stage": "Production"},
                                     {"model_id": "102"},
                                     {"model_uuid": "5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d0101"}], release=True)
    assert result.rc == 0, result.stdout[-3000:]
    assert result.result["changed"] is False
    assert result.result["release"] == "3.1.0"
    found = result.result["models"]
    assert [(m["id"], m["version"], m["stage"], m["file_type"]) for m in found] == [
        (101, 1, "Production", "zip"), (102, 2, "Staging", "zip"), (101, 1, "Production", "zip")]
    assert all(m["etag"] and m["etag"].startswith('"') for m in found), found
    asked = [(r["method"], r["path"]) for r in api_requests(models)]
    # The release, the model list once for the name and the id, the uuid's record, a HEAD each:
    # 6, within the bound of 2 + 2 x models.
    assert len(asked) == 1 + 1 + 1 + 3 <= 2 + 2 * 3, asked
    assert asked.count(("GET", PATHS["output_models"])) == 1, asked
    assert [method for method, path in asked if "/download/" in path] == ["HEAD"] * 3, asked


def test_a_bad_selector_fails_naming_it_and_asks_nothing(tmp_path, models):
    result = read(tmp_path, models, [{"model_id": "101", "model_name": "churn-model"}])
    assert result.rc != 0
    assert "mutually exclusive" in result.result["msg"] and "model_id" in result.result["msg"], result.result
    assert api_requests(models) == []
    result = read(tmp_path, models, [{"model_name": "no-such-model"}])
    assert result.rc != 0 and "No model named no-such-model" in result.result["msg"], result.result


def test_a_current_copy_asks_sparkflows_nothing_and_a_new_file_is_fetched(tmp_path, models):
    out = tmp_path / "out"
    out.mkdir()
    records = read(tmp_path, models, [{"model_id": "101"}, {"model_id": "102"}]).result["models"]
    first = fetch_all(tmp_path, models, records, out)
    assert first.rc == 0, first.stdout[-3000:]
    assert [r["changed"] for r in first.results] == [True, True]
    recorded = json.loads((out / "101.zip.sparkflows.json").read_text())
    assert recorded["etag"] == records[0]["etag"]

    models.control("reset", {})
    again = fetch_all(tmp_path, models, records, out)
    assert again.rc == 0 and [r["changed"] for r in again.results] == [False, False], again.stdout[-3000:]
    assert api_requests(models) == []

    # The file of 101 changes on the server (same version, new ETag): the next plan's record
    # has the new ETag, and only 101 is fetched again (check mode asks nothing: the read did).
    make_model_zip(models.models_dir / "101.zip", payload_bytes=4096)
    renewed = read(tmp_path, models, [{"model_id": "101"}, {"model_id": "102"}]).result["models"]
    assert renewed[0]["etag"] != records[0]["etag"] and renewed[1]["etag"] == records[1]["etag"]
    models.control("reset", {})
    checked = fetch_all(tmp_path, models, renewed, out, args=["--check"])
    assert [r["changed"] for r in checked.results] == [True, False], checked.stdout[-3000:]
    assert api_requests(models) == []
    fetched = fetch_all(tmp_path, models, renewed, out)
    assert [r["changed"] for r in fetched.results] == [True, False], fetched.stdout[-3000:]
    assert json.loads((out / "101.zip.sparkflows.json").read_text())["etag"] == renewed[0]["etag"]


def test_a_record_without_an_id_or_of_another_file_type_fails_clearly(tmp_path, models):
    out = tmp_path / "out"
    out.mkdir()
    bad = fetch_all(tmp_path, models, [{"version": 1}], out)
    assert bad.rc != 0 and "as sparkflows_model_info returns it" in bad.results[0]["msg"], bad.stdout[-2000:]
    (models.models_dir / "101.bin").write_bytes(b"a model of another file type")
    records = read(tmp_path, models, [{"model_id": "101"}], file_type="bin").result["models"]
    other = fetch_all(tmp_path, models, records, out)
    assert other.rc != 0 and "read for file_type bin, not zip" in other.results[0]["msg"], other.stdout[-2000:]
    assert not (out / "101.zip").exists()


def test_a_key_is_read_once_and_must_select_one_model(tmp_path, models):
    # As role scorer gives them: every host's models, each keyed by its scorer_models name.
    result = read(tmp_path, models, [{"key": "churn", "model_id": "101"}, {"key": "churn", "model_id": "101"},
                                     {"key": "upsell", "model_id": "102"}])
    assert result.rc == 0, result.stdout[-3000:]
    assert [(m["key"], m["id"]) for m in result.result["models"]] == [("churn", 101), ("upsell", 102)]
    assert [r["method"] for r in api_requests(models)] == ["GET", "HEAD", "HEAD"]

    models.control("reset", {})
    refused = read(tmp_path, models, [{"key": "churn", "model_id": "101"}, {"key": "churn", "model_id": "102"}])
    assert refused.rc != 0
    assert "models with key churn select different models: key=churn, model_id=101 and key=churn, model_id=102" \
        in refused.result["msg"], refused.result
    assert api_requests(models) == []
