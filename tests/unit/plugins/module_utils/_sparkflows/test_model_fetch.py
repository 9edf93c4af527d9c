"""Model fetch logic: checksums, and whether the local copy is the one recorded."""

import hashlib
import io
import os

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_fetch import (
    etag_unchanged,
    fetch,
    local_copy_is_current,
    normalize_checksum,
    planned_model,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_transfer import FetchError

DIGEST = "ab" * 32


def test_checksum_forms():
    assert normalize_checksum(DIGEST) == DIGEST
    assert normalize_checksum("sha256:" + DIGEST.upper()) == DIGEST
    assert normalize_checksum(None) is None
    for bad in ("md5:" + DIGEST, "abc", "sha256:" + "zz" * 32):
        with pytest.raises(FetchError, match="checksum must be a sha256 hex digest"):
            normalize_checksum(bad)


def written(dest, content, file_type, archive_verified):
    """dest written with content, its stat, and the record fetch() makes of such a file."""
    dest.write_bytes(content)
    st = dest.stat()
    return st, dict(id=1, uuid="u", version=3, file_type=file_type, size=st.st_size, mtime_ns=st.st_mtime_ns,
                    sha256=hashlib.sha256(content).hexdigest(), unpacked_to=None, archive_verified=archive_verified)


def test_local_copy_check(tmp_path):
    dest = tmp_path / "m.zip"
    st, record = written(dest, b"model", "zip", True)
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


@pytest.fixture
def current(tmp_path):
    """A model file at dest and the record fetch() made of it: the copy is current."""
    dest = tmp_path / "m.bin"
    st, record = written(dest, b"model v3", "bin", False)
    params = dict(dest=str(dest), file_type="bin", verify="quick", unpack_to=None)
    assert local_copy_is_current(record, dict(id=1, uuid="u", version=3), params, None) is True
    return dest, st, record, params


def test_a_local_copy_with_another_mtime_is_not_current(current):
    # Same size, same content even: only the mtime differs from the record (someone wrote the
    # file since), and verify=quick trusts nothing it has not compared.
    dest, st, record, params = current
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns - 1_000_000_000))
    assert local_copy_is_current(record, dict(id=1, uuid="u", version=3), params, None) is False
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert local_copy_is_current(record, dict(id=1, uuid="u", version=3), params, None) is True


def test_a_local_copy_with_another_size_is_not_current(current):
    dest, st, record, params = current
    dest.write_bytes(b"model v3, longer")
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert local_copy_is_current(record, dict(id=1, uuid="u", version=3), params, None) is False


def test_a_missing_local_copy_or_another_model_is_not_current(current):
    dest, _st, record, params = current
    model = dict(id=1, uuid="u", version=3)
    for key, other in (("id", 2), ("uuid", "v"), ("version", 4)):
        assert local_copy_is_current(record, dict(model, **{key: other}), params, None) is False
    assert local_copy_is_current(dict(record, file_type="zip"), model, params, None) is False
    dest.unlink()
    assert local_copy_is_current(record, model, params, None) is False


def test_the_checksum_asked_for_is_compared_with_the_recorded_one(current):
    _dest, _st, record, params = current
    model = dict(id=1, uuid="u", version=3)
    assert local_copy_is_current(record, model, params, record["sha256"]) is True
    assert local_copy_is_current(record, model, params, DIGEST) is False


def test_unpack_to_must_be_the_recorded_directory_and_exist(current, tmp_path):
    _dest, _st, record, params = current
    model = dict(id=1, uuid="u", version=3)
    target = tmp_path / "unpacked"
    record = dict(record, unpacked_to=str(target), archive_verified=True)
    params = dict(params, unpack_to=str(target))
    assert local_copy_is_current(record, model, params, None) is False
    target.mkdir()
    assert local_copy_is_current(record, model, params, None) is True
    assert local_copy_is_current(record, model, dict(params, unpack_to=str(tmp_path)), None) is False


class Served(object):
    """A stand-in Sparkflows client serving one model file as open_download answers it."""

    def __init__(self, body):
        self.body = body

    def open_download(self, model_id, file_type, headers=None, method="GET"):
        return 200, {"Content-Length": str(len(self.body)), "ETag": '"e-%d"' % model_id}, io.BytesIO(self.body)


MODEL = dict(id=7, uuid="u-7", name="churn-model", version=5, stage="Production")


def fetch_params(tmp_path):
    return dict(dest=str(tmp_path / "m.bin"), file_type="bin", unpack_to=None, download_retries=0)


def test_a_download_whose_checksum_differs_is_refused_and_dest_kept(tmp_path):
    params = fetch_params(tmp_path)
    (tmp_path / "m.bin").write_bytes(b"previous model")
    expected = hashlib.sha256(b"the model that was published").hexdigest()
    with pytest.raises(FetchError, match="checksum mismatch for model 7: expected sha256 %s, got %s"
                       % (expected, hashlib.sha256(b"a tampered model").hexdigest())):
        fetch(Served(b"a tampered model"), params, MODEL, expected)
    assert (tmp_path / "m.bin").read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.bin"]


def test_a_download_with_the_checksum_asked_for_is_installed_and_recorded(tmp_path):
    params = fetch_params(tmp_path)
    body = b"the model that was published"
    metadata, transferred, seconds = fetch(Served(body), params, MODEL, hashlib.sha256(body).hexdigest())
    dest = tmp_path / "m.bin"
    assert dest.read_bytes() == body
    st = dest.stat()
    assert metadata == dict(id=7, uuid="u-7", name="churn-model", version=5, stage="Production", file_type="bin",
                            sha256=hashlib.sha256(body).hexdigest(), size=len(body), mtime_ns=st.st_mtime_ns,
                            etag='"e-7"', unpacked_to=None, archive_verified=False)
    assert transferred == len(body) and seconds >= 0
    # What fetch() records is what local_copy_is_current() later accepts, with either verify.
    for verify in ("quick", "sha256"):
        assert local_copy_is_current(metadata, MODEL, dict(params, verify=verify), metadata["sha256"]) is True


def test_a_planned_record_needs_its_id_and_the_same_file_type():
    record = dict(id=101, uuid="u", version=1, file_type="zip", etag='"a"')
    assert planned_model(record, "zip") is record
    assert planned_model(dict(record, file_type=None), "zip")["id"] == 101
    with pytest.raises(FetchError, match="got keys etag, version"):
        planned_model(dict(version=1, etag='"a"'), "zip")
    with pytest.raises(FetchError, match="read for file_type zip, not bin"):
        planned_model(record, "bin")


def test_the_etag_read_once_decides_only_when_both_sides_have_one():
    assert etag_unchanged(dict(etag='"a"'), dict(etag='"a"')) is True
    assert etag_unchanged(dict(etag='"a"'), dict(etag='"b"')) is False
    # A server that sends no ETag, or a copy recorded without one: the record decides.
    assert etag_unchanged(dict(etag='"a"'), dict(etag=None)) is True
    assert etag_unchanged(dict(), dict(etag='"b"')) is True
