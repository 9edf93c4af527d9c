"""Model fetch logic: checksums, safe unpacking, model selection, the resumable download."""

import hashlib
import io
import os
import threading
import zipfile

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._model_fetch import (
    CHUNK,
    ChunkHasher,
    Download,
    Writeback,
    FetchError,
    local_copy_is_current,
    normalize_checksum,
    resolve_model,
    safe_members,
    unpack,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import SparkflowsClient
from emulator.fixtures import ADMIN_TOKEN
from emulator.models import make_model_zip

DIGEST = "ab" * 32


def test_checksum_forms():
    assert normalize_checksum(DIGEST) == DIGEST
    assert normalize_checksum("sha256:" + DIGEST.upper()) == DIGEST
    assert normalize_checksum(None) is None
    for bad in ("md5:" + DIGEST, "abc", "sha256:" + "zz" * 32):
        with pytest.raises(FetchError, match="checksum must be a sha256 hex digest"):
            normalize_checksum(bad)


def zip_with(tmp_path, name, symlink=False):
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = (0o120777 << 16)
        archive.writestr(info, b"x")
    return path


@pytest.mark.parametrize("name", ["../evil", "a/../../evil", "/etc/evil", "C:/evil", "a\\..\\..\\evil"])
def test_entries_outside_the_directory_are_refused(tmp_path, name):
    with zipfile.ZipFile(zip_with(tmp_path, name)) as archive:
        with pytest.raises(FetchError, match="would land outside the directory"):
            safe_members(archive)


def test_symlink_entries_are_refused(tmp_path):
    with zipfile.ZipFile(zip_with(tmp_path, "model_bundle/link", symlink=True)) as archive:
        with pytest.raises(FetchError, match="is a symbolic link"):
            safe_members(archive)


def test_unpack_replaces_the_directory_whole_and_keeps_it_on_refusal(tmp_path):
    target = tmp_path / "model"
    unpack(make_model_zip(tmp_path / "v1.zip", extra={"model_bundle/only-in-v1": b"1"}), str(target))
    unpack(make_model_zip(tmp_path / "v2.zip"), str(target))
    assert not (target / "model_bundle" / "only-in-v1").exists()
    assert (target / "model_bundle" / "code" / "score.py").exists()
    with pytest.raises(FetchError):
        unpack(make_model_zip(tmp_path / "bad.zip", extra={"../x": b"x"}), str(target))
    assert (target / "model_bundle" / "code" / "score.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.zip", "model", "v1.zip", "v2.zip"]


def test_model_selection(emulator):
    client = SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN)
    base = dict(model_id=None, model_uuid=None, model_name=None, stage=None)
    assert resolve_model(client, dict(base, model_id="102"))["version"] == 2
    assert resolve_model(client, dict(base, model_name="churn-model"))["id"] == 102
    assert resolve_model(client, dict(base, model_name="churn-model", stage="Production"))["id"] == 101
    with pytest.raises(FetchError, match="No model named churn-model in stage Archived"):
        resolve_model(client, dict(base, model_name="churn-model", stage="Archived"))


def test_local_copy_check(tmp_path):
    dest = tmp_path / "m.zip"
    dest.write_bytes(b"model")
    st = dest.stat()
    record = dict(id=1, uuid="u", version=3, file_type="zip", size=st.st_size, mtime_ns=st.st_mtime_ns,
                  sha256=hashlib.sha256(b"model").hexdigest(), unpacked_to=None, archive_verified=True)
    model = dict(id=1, uuid="u", version=3)
    params = dict(dest=str(dest), file_type="zip", verify="quick", unpack_to=None)
    assert local_copy_is_current(record, model, params, None) is True
    # Recorded before archives were verified: checked once, and this is no zip.
    legacy = dict(record)
    del legacy["archive_verified"]
    assert local_copy_is_current(legacy, model, params, None) is False
    assert local_copy_is_current(dict(legacy, file_type="bin"), model, dict(params, file_type="bin"), None) is True
    assert local_copy_is_current(record, dict(model, version=4), params, None) is False
    assert local_copy_is_current(record, model, params, DIGEST) is False
    assert local_copy_is_current(None, model, params, None) is False
    # Same size and mtime but other content: only verify=sha256 sees it.
    dest.write_bytes(b"MODEL")
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert local_copy_is_current(record, model, params, None) is True
    assert local_copy_is_current(record, model, dict(params, verify="sha256"), None) is False


def test_download_resumes_after_a_cut(emulator):
    payload = os.urandom(3 << 20)
    (emulator.models_dir / "101.zip").write_bytes(payload)
    emulator.control("faults", {"drop_after": 1 << 20})
    sleeps = []
    download = Download(SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN), 101, "zip", retries=2,
                        sleep=sleeps.append)
    sink = io.BytesIO()
    assert download.into(sink) == hashlib.sha256(payload).hexdigest()
    assert sink.getvalue() == payload
    assert download.transferred == len(payload)
    assert sleeps == [0.5]
    statuses = [r["status"] for r in emulator.requests() if "/download/" in r["path"]]
    assert statuses == [200, 206]
    assert download.etag.startswith("\"")


def test_writeback_of_a_real_file_starts_window_by_window_during_the_download(emulator, tmp_path, monkeypatch):
    """The disk writes start while the body arrives, so that the final fsync has little to wait for.
    A cut mid-body and its resume keep the hints on the file's real positions."""
    advice = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, flag: advice.append((offset, length, flag)))
    window = Writeback.WINDOW
    payload = os.urandom(3 * window + CHUNK)
    (emulator.models_dir / "101.zip").write_bytes(payload)
    emulator.control("faults", {"drop_after": window + CHUNK // 2})
    download = Download(SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN), 101, "zip", retries=2,
                        sleep=lambda seconds: None)
    with open(tmp_path / "model.part", "wb") as sink:
        assert download.into(sink) == hashlib.sha256(payload).hexdigest()
    assert (tmp_path / "model.part").read_bytes() == payload
    assert advice and all(flag == os.POSIX_FADV_DONTNEED for _offset, _length, flag in advice)
    # Consecutive ranges from 0, never past what was written, together covering all but the tail.
    assert advice[0][0] == 0
    assert all(offset + length == following[0] for (offset, length, _flag), following in zip(advice, advice[1:]))
    covered = advice[-1][0] + advice[-1][1]
    assert len(payload) - window < covered <= len(payload)


def test_writeback_leaves_objects_without_a_file_descriptor_alone():
    sink = io.BytesIO()
    writeback = Writeback(sink)
    sink.write(os.urandom(2 * Writeback.WINDOW))
    writeback.written()
    assert writeback.fd is None


def test_the_hasher_thread_digests_what_it_is_handed_and_restarts_clean():
    hasher = ChunkHasher()
    expected = hashlib.sha256()
    for size in (CHUNK, 17, 0, CHUNK - 1) * 3:  # more chunks than buffers: they go round
        buffer = hasher.buffer()
        data = os.urandom(size)
        buffer[:size] = data
        hasher.hash(buffer, size)
        expected.update(data)
    assert hasher.hexdigest() == expected.hexdigest()
    hasher.restart()
    buffer = hasher.buffer()
    buffer[:3] = b"abc"
    hasher.hash(buffer, 3)
    assert hasher.hexdigest() == hashlib.sha256(b"abc").hexdigest()
    assert hasher.free.qsize() == ChunkHasher.BUFFERS  # every buffer came back: memory stays constant


def test_a_stopped_hasher_is_an_error_not_a_hang(monkeypatch):
    stopped = []
    monkeypatch.setattr(threading, "excepthook", stopped.append)  # the thread's own report, expected here
    hasher = ChunkHasher()

    def broken(self, data):
        raise MemoryError("hashing failed")
    monkeypatch.setattr(hasher, "digest", type("Broken", (), {"update": broken})())
    with pytest.raises(FetchError, match="sha256 .* thread stopped"):
        for _chunk in range(ChunkHasher.BUFFERS + 1):
            hasher.hash(hasher.buffer(), 1)
    hasher.close()
    assert [type(report.exc_value) for report in stopped] == [MemoryError]
