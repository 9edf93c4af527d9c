"""sparkflows_model_fetch through ansible-playbook against the emulator's model repository."""

import hashlib
import json
import os
import resource
import zipfile

import pytest

from emulator.fixtures import ADMIN_PASSWORD, ADMIN_TOKEN
from emulator.models import make_model_zip
from emulator.sparkflows_emulator import VARIANTS
from utils.playbook import run_playbook

MIB = 1 << 20


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(tmp_path, emulator, args=(), **options):
    options = dict({"api_url": emulator.url, "api_token": ADMIN_TOKEN}, **options)
    return run_playbook(tmp_path, [{"name": "Fetch", "sparkflows.mlops.sparkflows_model_fetch": options}], args=args)


def downloads(emulator):
    return [r for r in emulator.requests() if "/download/" in r["path"]]


def leftovers(directory, keep):
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


@pytest.fixture
def models(emulator):
    """Model 101 (Production, v1) and 102 (Staging, v2) of churn-model, as zips."""
    make_model_zip(emulator.models_dir / "101.zip", payload_bytes=3 * MIB)
    make_model_zip(emulator.models_dir / "102.zip", payload_bytes=2 * MIB)
    return emulator


@pytest.fixture
def out(tmp_path):
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def test_fetch_then_unchanged_rerun_transfers_nothing(tmp_path, models, out):
    dest = out / "model.zip"
    first = fetch(tmp_path, models, model_id="101", dest=str(dest))
    assert first.rc == 0, first.stdout
    result = first.result
    assert result["changed"] is True
    assert sha256(dest) == sha256(models.models_dir / "101.zip") == result["sha256"]
    assert result["bytes_transferred"] == result["size"] == dest.stat().st_size
    record = json.loads((out / "model.zip.sparkflows.json").read_text())
    assert (record["id"], record["version"], record["sha256"]) == (101, 1, result["sha256"])
    assert leftovers(out, {"model.zip", "model.zip.sparkflows.json"}) == []

    models.control("reset", {})
    second = fetch(tmp_path, models, model_id="101", dest=str(dest))
    assert second.rc == 0, second.stdout
    assert second.result["changed"] is False
    assert second.result["bytes_transferred"] == 0
    assert [r["status"] for r in downloads(models)] == [304]


def test_select_by_uuid_by_name_latest_and_by_stage(tmp_path, models, out):
    by_uuid = fetch(tmp_path, models, model_uuid="5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d0102", dest=str(out / "u.zip"))
    assert by_uuid.result["model_id"] == 102
    latest = fetch(tmp_path, models, model_name="churn-model", dest=str(out / "n.zip"))
    assert (latest.result["model_id"], latest.result["version"]) == (102, 2)
    production = fetch(tmp_path, models, model_name="churn-model", stage="Production", dest=str(out / "p.zip"))
    assert production.result["model_id"] == 101
    assert sha256(out / "p.zip") == sha256(models.models_dir / "101.zip")


def test_check_mode_writes_nothing(tmp_path, models, out):
    result = fetch(tmp_path, models, args=["--check", "--diff"], model_id="101", dest=str(out / "model.zip"))
    assert result.rc == 0, result.stdout
    assert result.result["changed"] is True
    assert result.result["diff"]["after"]["id"] == 101
    assert list(out.iterdir()) == []
    assert [r for r in downloads(models) if r["method"] == "GET"] == []


def test_model_file_changed_on_the_server_is_fetched_again(tmp_path, models, out):
    dest = out / "model.zip"
    fetch(tmp_path, models, model_id="101", dest=str(dest))
    make_model_zip(models.models_dir / "101.zip", payload_bytes=MIB)
    check = fetch(tmp_path, models, args=["--check"], model_id="101", dest=str(dest))
    assert check.result["changed"] is True
    again = fetch(tmp_path, models, model_id="101", dest=str(dest))
    assert again.result["changed"] is True
    assert sha256(dest) == sha256(models.models_dir / "101.zip")


def test_mode_is_applied_and_an_attribute_change_transfers_nothing(tmp_path, models, out):
    dest = out / "model.zip"
    first = fetch(tmp_path, models, model_id="101", dest=str(dest), mode="0640")
    assert oct(dest.stat().st_mode & 0o777) == "0o640"
    second = fetch(tmp_path, models, model_id="101", dest=str(dest), mode="0600")
    assert second.result["changed"] is True and second.result["bytes_transferred"] == 0
    assert oct(dest.stat().st_mode & 0o777) == "0o600"
    assert first.result["sha256"] == second.result["sha256"]


def test_unpack_to_extracts_the_bundle(tmp_path, models, out):
    target = out / "model"
    first = fetch(tmp_path, models, model_id="101", dest=str(out / "model.zip"), unpack_to=str(target))
    assert first.rc == 0, first.stdout
    assert (target / "model_bundle" / "code" / "score.py").read_text().startswith("def score")
    second = fetch(tmp_path, models, model_id="101", dest=str(out / "model.zip"), unpack_to=str(target))
    assert second.result["changed"] is False


def test_checksum_given_and_matching(tmp_path, models, out):
    expected = sha256(models.models_dir / "101.zip")
    result = fetch(tmp_path, models, model_id="101", dest=str(out / "m.zip"), checksum="sha256:" + expected)
    assert result.rc == 0 and result.result["sha256"] == expected


# -- faults: each a clear error, the previous model kept, nothing partial left -------------


@pytest.fixture
def previous(tmp_path, models, out):
    """A model 102 already fetched at out/model.zip."""
    dest = out / "model.zip"
    assert fetch(tmp_path, models, model_id="102", dest=str(dest)).rc == 0
    return dest, dest.read_bytes()


def assert_failed_and_kept(result, out, previous, message):
    dest, content = previous
    assert result.rc != 0
    assert message in result.result["msg"], result.result["msg"]
    assert "\n" not in result.result["msg"]
    assert dest.read_bytes() == content
    assert leftovers(out, {"model.zip", "model.zip.sparkflows.json"}) == []


def test_unknown_model_id(tmp_path, models, out, previous):
    result = fetch(tmp_path, models, model_id="999", dest=str(previous[0]))
    assert_failed_and_kept(result, out, previous, "No model with id 999 in the Sparkflows model repository")


def test_checksum_mismatch(tmp_path, models, out, previous):
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]), checksum="0" * 64)
    assert_failed_and_kept(result, out, previous, "checksum mismatch for model 101: expected sha256 " + "0" * 64)


def test_html_page_instead_of_a_zip(tmp_path, models, out, previous):
    models.control("faults", {"html_download": True})
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]))
    assert_failed_and_kept(result, out, previous, "is an HTML page (Content-Type text/html), not a model file")


def test_zip_with_path_traversal_is_refused(tmp_path, models, out, previous):
    make_model_zip(models.models_dir / "101.zip", extra={"../../escaped.txt": b"owned"})
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]), unpack_to=str(out / "unpacked"))
    assert_failed_and_kept(result, out, previous, "refusing to unpack: entry '../../escaped.txt'")
    assert not (tmp_path / "escaped.txt").exists()


def test_dropped_connection_resumes_with_a_range(tmp_path, models, out, previous):
    models.control("faults", {"drop_after": MIB})
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]))
    assert result.rc == 0, result.stdout
    assert sha256(previous[0]) == sha256(models.models_dir / "101.zip")
    assert result.result["bytes_transferred"] == result.result["size"]
    assert [r["status"] for r in downloads(models)][-2:] == [200, 206]


def test_dropped_connection_without_ranges_restarts(tmp_path, models, out, previous):
    models.control("faults", {"drop_after": MIB, "no_ranges": True})
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]))
    assert result.rc == 0, result.stdout
    assert sha256(previous[0]) == sha256(models.models_dir / "101.zip")
    assert result.result["bytes_transferred"] == result.result["size"] + MIB


def test_dropped_connection_past_the_retries_fails_cleanly(tmp_path, models, out, previous):
    models.control("faults", {"drop_after": MIB})
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]), download_retries=0)
    assert_failed_and_kept(result, out, previous, "download of model 101 cut 1 times, giving up")


def test_disk_full(tmp_path, models, out, previous, monkeypatch):
    # A file size limit makes writes past 2 MiB fail as a full disk does (Python ignores SIGXFSZ).
    make_model_zip(models.models_dir / "101.zip", payload_bytes=8 * MIB)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * MIB, hard))
    try:
        result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert_failed_and_kept(result, out, previous, "cannot write the model to %s: File too large" % previous[0])


def test_missing_destination_directory(tmp_path, models):
    result = fetch(tmp_path, models, model_id="101", dest=str(tmp_path / "no" / "such" / "model.zip"))
    assert result.rc != 0
    assert "the directory of dest does not exist" in result.result["msg"]
    assert os.path.exists(tmp_path / "no") is False


def corrupt_in_place(path):
    """Flip one byte of the model artifact's data: the zip still opens, its CRC check fails."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo("model_bundle/artifacts/model.pkl").header_offset
    name_length = int.from_bytes(data[offset + 26:offset + 28], "little")
    extra_length = int.from_bytes(data[offset + 28:offset + 30], "little")
    data[offset + 30 + name_length + extra_length + 100] ^= 0xFF
    path.write_bytes(bytes(data))


def test_archive_with_a_bad_crc_is_refused(tmp_path, models, out, previous):
    corrupt_in_place(models.models_dir / "101.zip")
    result = fetch(tmp_path, models, model_id="101", dest=str(previous[0]))
    assert_failed_and_kept(result, out, previous,
                           "model 101 downloaded but the zip archive is corrupt: entry "
                           "'model_bundle/artifacts/model.pkl' fails its CRC check")


def test_corrupt_archive_already_in_place_is_replaced(tmp_path, models, out):
    # As an earlier version of the module could leave it: a corrupt zip recorded as the model.
    dest = out / "model.zip"
    assert fetch(tmp_path, models, model_id="101", dest=str(dest)).rc == 0
    corrupt_in_place(dest)
    record_path = out / "model.zip.sparkflows.json"
    record = json.loads(record_path.read_text())
    for key in ("archive_verified", "etag"):
        record.pop(key)
    record.update(sha256=sha256(dest), size=dest.stat().st_size, mtime_ns=dest.stat().st_mtime_ns)
    record_path.write_text(json.dumps(record))

    result = fetch(tmp_path, models, model_id="101", dest=str(dest), verify="sha256")
    assert result.rc == 0, result.stdout
    assert result.result["changed"] is True
    assert sha256(dest) == sha256(models.models_dir / "101.zip")
    assert json.loads(record_path.read_text())["archive_verified"] is True
    assert fetch(tmp_path, models, model_id="101", dest=str(dest), verify="sha256").result["changed"] is False


@pytest.mark.parametrize("shape", VARIANTS["models_shape"])
@pytest.mark.parametrize("versions", VARIANTS["model_versions"])
def test_latest_version_in_every_model_list_variant(tmp_path, models, out, shape, versions):
    # Versions 9 and 10: compared as text, "9" would win.
    (models.models_dir / "models.json").write_text(json.dumps([
        {"id": 101, "uuid": "u-101", "name": "churn-model", "version": 9, "stage": "Production"},
        {"id": 102, "uuid": "u-102", "name": "churn-model", "version": 10, "stage": "Production"}]))
    models.control("variant", {"models_shape": shape, "model_versions": versions})
    result = fetch(tmp_path, models, model_name="churn-model", dest=str(out / "m.zip"))
    assert result.rc == 0, result.stdout
    assert result.result["model_id"] == 102
    assert sha256(out / "m.zip") == sha256(models.models_dir / "102.zip")


def test_a_model_version_that_is_no_number_fails_clearly(tmp_path, models, out):
    (models.models_dir / "models.json").write_text(json.dumps([
        {"id": 101, "uuid": "u-101", "name": "churn-model", "version": "v9"}]))
    result = fetch(tmp_path, models, model_name="churn-model", dest=str(out / "m.zip"))
    assert result.rc != 0
    assert "unrecognised answer for model churn-model: model version 'v9' is not a number" in result.result["msg"]
    assert not (out / "m.zip").exists()


def test_check_mode_on_an_unchanged_file_reports_no_change_and_touches_nothing(tmp_path, models, out):
    dest = out / "model.zip"
    assert fetch(tmp_path, models, model_id="101", dest=str(dest)).result["changed"] is True
    before = (dest.read_bytes(), dest.stat().st_mtime_ns, sorted(p.name for p in out.iterdir()))
    models.control("reset", {})
    checked = fetch(tmp_path, models, args=["--check", "--diff"], model_id="101", dest=str(dest))
    assert checked.rc == 0, checked.stdout
    assert (checked.result["changed"], checked.result["bytes_transferred"]) == (False, 0)
    assert (dest.read_bytes(), dest.stat().st_mtime_ns, sorted(p.name for p in out.iterdir())) == before
    assert [r["status"] for r in downloads(models) if r["method"] == "GET"] in ([], [304])


@pytest.mark.parametrize("credentials", [
    {"api_token": ADMIN_TOKEN},
    {"api_username": "admin", "api_password": ADMIN_PASSWORD},
], ids=["token", "password"])
def test_secrets_never_appear_at_vvv(tmp_path, models, out, credentials):
    options = dict(credentials, api_url=models.url, model_name="churn-model", stage="Production",
                   dest=str(out / "model.zip"))
    result = run_playbook(tmp_path, [{"name": "Fetch", "sparkflows.mlops.sparkflows_model_fetch": options}],
                          args=["-vvv", "--diff"], callback="default")
    assert result.rc == 0, result.stdout[-3000:]
    assert "model_id" in result.stdout  # the result was printed, and it is there the secrets would be
    output = result.stdout + result.stderr
    # The session token a login returns is a secret too, though no option carries it: the
    # JSESSIONID values the emulator issued during this run.
    sessions = models.control("sessions")
    if "api_password" in credentials:
        assert sessions, "no login reached the emulator, so no session id was checked"
    else:
        assert sessions == [], "a token run logged in: %s" % [r["path"] for r in models.requests()]
    for secret in (ADMIN_TOKEN, ADMIN_PASSWORD):
        assert secret not in output
    for session in sessions:
        assert session not in output, "the session id %s a login returned is in the output" % session


@pytest.mark.parametrize("selectors", [
    {"model_id": "101", "model_name": "churn-model"},
    {"model_id": "101", "model_uuid": "5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d0101"},
    {"model_uuid": "5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d0101", "model_name": "churn-model"},
], ids=["id+name", "id+uuid", "uuid+name"])
def test_selectors_are_mutually_exclusive_and_nothing_is_asked(tmp_path, models, out, selectors):
    result = fetch(tmp_path, models, dest=str(out / "model.zip"), **selectors)
    assert result.rc != 0
    assert result.result["msg"].startswith("parameters are mutually exclusive: model_id|model_uuid|model_name")
    assert list(out.iterdir()) == [] and models.requests() == []


def test_check_mode_asks_the_server_for_a_new_model_and_predicts_its_failure(tmp_path, models, out):
    """Check mode predicts the real run: the file of a new model is asked for (HEAD, no body)."""
    would = fetch(tmp_path, models, args=["--check"], model_id="101", dest=str(out / "model.zip"))
    assert would.rc == 0 and would.result["changed"] is True
    assert [r["method"] for r in downloads(models)] == ["HEAD"]
    (models.models_dir / "102.zip").unlink()  # listed by the server, its file gone
    checked = fetch(tmp_path, models, args=["--check"], model_id="102", dest=str(out / "model.zip"))
    real = fetch(tmp_path, models, model_id="102", dest=str(out / "model.zip"))
    assert checked.rc != 0 and real.rc != 0
    assert "HTTP 404" in checked.result["msg"] and "HTTP 404" in real.result["msg"], (checked.result, real.result)
    assert list(out.iterdir()) == []
