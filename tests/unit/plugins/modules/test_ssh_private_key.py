"""ssh_private_key run as Ansible runs it (a module process with its JSON arguments), on real files."""

import io
import json
import stat

import paramiko
import pytest

from utils.module import run_module, ssh_keygen


def run(tmp_path, **args):
    return run_module("ssh_private_key", tmp_path, **args)


@pytest.fixture
def key_text():
    """A PEM RSA key, as paramiko writes it (other tests use OpenSSH's format)."""
    buffer = io.StringIO()
    paramiko.RSAKey.generate(2048).write_private_key(buffer)
    return buffer.getvalue()


def test_installs_the_key_0600_and_returns_its_public_line(tmp_path, key_text):
    path = tmp_path / "id"
    result = run(tmp_path, path=str(path), content=key_text, comment="sparkflows-mlflow@sf1")
    assert result["changed"] is True
    assert path.read_text().strip() == key_text.strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = paramiko.RSAKey.from_private_key_file(str(path))
    assert result["public_key"] == "ssh-rsa %s sparkflows-mlflow@sf1" % key.get_base64()
    assert result["fingerprint"].startswith("SHA256:")
    assert result["diff"]["after"]["fingerprint"] == result["fingerprint"]
    assert result["diff"]["before"]["fingerprint"] is None


def test_second_run_is_unchanged_and_a_loose_mode_is_tightened(tmp_path, key_text):
    path = tmp_path / "id"
    run(tmp_path, path=str(path), content=key_text)
    assert run(tmp_path, path=str(path), content=key_text)["changed"] is False
    path.chmod(0o644)
    result = run(tmp_path, path=str(path), content=key_text)
    assert result["changed"] is True and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_material_never_appears_in_the_result(tmp_path, key_text):
    output = json.dumps(run(tmp_path, path=str(tmp_path / "id"), content=key_text))
    body = "".join(key_text.strip().splitlines()[1:-1])
    assert body[:40] not in output and body[-40:] not in output


def test_check_mode_writes_nothing_but_reports_the_key(tmp_path, key_text):
    path = tmp_path / "id"
    result = run(tmp_path, path=str(path), content=key_text, _ansible_check_mode=True)
    assert result["changed"] is True and result["public_key"].startswith("ssh-rsa ")
    assert not path.exists()


def test_src_on_the_host_and_an_openssh_ed25519_key(tmp_path):
    source = tmp_path / "source"
    ssh_keygen(source)
    result = run(tmp_path, path=str(tmp_path / "id"), src=str(source))
    assert result["key_type"] == "ssh-ed25519"
    assert result["public_key"].split()[:2] == (tmp_path / "source.pub").read_text().split()[:2]


@pytest.mark.parametrize("material, message", [
    ("this is not a key", "not a valid SSH private key"),
    ("", "no private key material"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "not a valid SSH private key"),
])
def test_bad_material_fails_without_quoting_it_and_keeps_the_old_key(tmp_path, key_text, material, message):
    path = tmp_path / "id"
    run(tmp_path, path=str(path), content=key_text)
    result = run(tmp_path, path=str(path), content=material)
    assert result["failed"] is True and message in result["msg"]
    assert material.strip() == "" or material not in result["msg"]
    assert path.read_text().strip() == key_text.strip()


def test_an_encrypted_key_is_refused(tmp_path):
    source = tmp_path / "source"
    ssh_keygen(source, passphrase="s3cret-passphrase")
    result = run(tmp_path, path=str(tmp_path / "id"), src=str(source))
    assert result["failed"] is True and "encrypted with a passphrase" in result["msg"]
    assert not (tmp_path / "id").exists()


def test_a_mode_readable_by_others_is_refused(tmp_path, key_text):
    result = run(tmp_path, path=str(tmp_path / "id"), content=key_text, mode="0644")
    assert result["failed"] is True and "0644" in result["msg"]
    assert not (tmp_path / "id").exists()


def test_a_missing_directory_is_a_clear_error(tmp_path, key_text):
    result = run(tmp_path, path=str(tmp_path / "nowhere" / "id"), content=key_text)
    assert result["failed"] is True and "does not exist" in result["msg"]


def test_the_public_key_file_follows_the_private_key(tmp_path, key_text):
    path = tmp_path / "id"
    (tmp_path / "id.pub").write_text("ssh-ed25519 AAAAstale-key-of-an-earlier-source old\n")
    result = run(tmp_path, path=str(path), content=key_text, comment="c")
    assert (tmp_path / "id.pub").read_text() == result["public_key"] + "\n"
    assert stat.S_IMODE((tmp_path / "id.pub").stat().st_mode) == 0o644
    assert run(tmp_path, path=str(path), content=key_text, comment="c")["changed"] is False
