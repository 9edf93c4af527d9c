"""Model archives: entries outside the directory and links refused, unpacking swapped in whole."""

import zipfile

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_archive import safe_members, unpack, verify_archive
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_transfer import FetchError
from emulator.models import make_model_zip


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


def test_a_whole_archive_is_verified(tmp_path):
    assert verify_archive(str(make_model_zip(tmp_path / "m.zip"))) is None


def test_a_truncated_or_foreign_file_is_not_a_readable_archive(tmp_path):
    whole = make_model_zip(tmp_path / "m.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "page.zip").write_bytes(b"<html>login</html>")
    for name in ("cut.zip", "page.zip"):
        with pytest.raises(FetchError, match=r"^not a readable zip archive \(File is not a zip file\)$"):
            verify_archive(str(tmp_path / name))


def test_an_entry_failing_its_crc_is_refused_by_name(tmp_path):
    path = tmp_path / "m.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("model_bundle/requirements.txt", b"scikit-learn\n")
        archive.writestr("model_bundle/artifacts/model.pkl", b"A" * 4096)
    data = bytearray(path.read_bytes())
    data[data.index(b"A" * 4096) + 100] = ord("B")
    path.write_bytes(bytes(data))
    with pytest.raises(FetchError, match=r"^the zip archive is corrupt: entry 'model_bundle/artifacts/model.pkl' "
                                         r"fails its CRC check$"):
        verify_archive(str(path))
