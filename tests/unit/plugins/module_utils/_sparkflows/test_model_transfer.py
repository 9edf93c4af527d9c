"""The model transfer engine: the resumable download, the write-back, the hasher thread."""

import hashlib
import io
import os
import threading

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_transfer import CHUNK, ChunkHasher, Download, FetchError, Writeback
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import SparkflowsClient
from emulator.fixtures import ADMIN_TOKEN


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


class Conditional(object):
    """A stand-in client answering a conditional download with a given status."""

    def __init__(self, status):
        self.status = status
        self.asked = []

    def open_download(self, model_id, file_type, headers=None, method="GET"):
        self.asked.append((model_id, file_type, headers, method))
        return self.status, {"ETag": '"new"'}, io.BytesIO(b"" if self.status == 304 else b"body")


def test_a_304_means_the_model_file_is_unchanged():
    client = Conditional(304)
    download = Download(client, 101, "zip", retries=0)
    assert download.not_modified('"e1"', "HEAD") == (True, None)
    assert client.asked == [(101, "zip", {"If-None-Match": '"e1"'}, "HEAD")]
    assert download.transferred == 0


@pytest.mark.parametrize("status", [200, 206, 412])
def test_any_other_answer_means_changed_and_is_handed_on_open(status):
    client = Conditional(status)
    unchanged, opened = Download(client, 7, "bin", retries=0).not_modified('"e1"')
    assert unchanged is False
    assert opened[0] == status and opened[1] == {"ETag": '"new"'} and opened[2].read() == b"body"
    assert client.asked == [(7, "bin", {"If-None-Match": '"e1"'}, "GET")]
