"""Model fetch logic: checksums, and whether the local copy is the one recorded."""

import hashlib
import os

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._model_fetch import local_copy_is_current, normalize_checksum
from ansible_collections.sparkflows.mlops.plugins.module_utils._model_transfer import FetchError

DIGEST = "ab" * 32


def test_checksum_forms():
    assert normalize_checksum(DIGEST) == DIGEST
    assert normalize_checksum("sha256:" + DIGEST.upper()) == DIGEST
    assert normalize_checksum(None) is None
    for bad in ("md5:" + DIGEST, "abc", "sha256:" + "zz" * 32):
        with pytest.raises(FetchError, match="checksum must be a sha256 hex digest"):
            normalize_checksum(bad)


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
