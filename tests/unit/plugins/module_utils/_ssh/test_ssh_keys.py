"""Private keys of every type and format OpenSSH writes are read, also by the paramiko Debian 12 ships."""

import paramiko
import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh import keys as ssh_keys
from utils.module import ssh_keygen


@pytest.fixture
def paramiko_2_12(monkeypatch):
    """paramiko before 3.0 fails on ECDSA keys in OpenSSH format with this error (python3-paramiko
    2.12 of Debian 12, the Python a bookworm Sparkflows host runs the modules with)."""
    def fails(*args, **kwargs):
        raise paramiko.SSHException("Invalid key curve identifier")
    monkeypatch.setattr(paramiko.ECDSAKey, "from_private_key", classmethod(fails))


@pytest.mark.parametrize("options", [["-t", "ecdsa"], ["-t", "ecdsa", "-b", "384"], ["-t", "ecdsa", "-b", "521"]])
def test_an_openssh_ecdsa_key_is_read_where_paramiko_cannot(tmp_path, paramiko_2_12, options):
    path = ssh_keygen(tmp_path / "id", key_type=options[1], extra=options[2:])
    key = ssh_keys.load_private_key(open(path).read())
    assert key.get_name() + " " + key.get_base64() == open(path + ".pub").read().strip()
    # The key signs (ssh_check authenticates with it) and its signature verifies.
    assert key.verify_ssh_sig(b"data", paramiko.Message(key.sign_ssh_data(b"data").asbytes()))


def test_an_encrypted_ecdsa_key_is_still_refused_as_encrypted(tmp_path, paramiko_2_12):
    path = ssh_keygen(tmp_path / "id", key_type="ecdsa", passphrase="secret")
    with pytest.raises(ssh_keys.SSHKeyError, match="encrypted with a passphrase"):
        ssh_keys.load_private_key(open(path).read())


def test_other_keys_do_not_take_the_fallback(tmp_path, paramiko_2_12):
    path = ssh_keygen(tmp_path / "id", key_type="ed25519")
    assert ssh_keys.load_private_key(open(path).read()).get_name() == "ssh-ed25519"
    with pytest.raises(ssh_keys.SSHKeyError, match="not a valid SSH private key"):
        ssh_keys.load_private_key(open(path).read().replace("A", "B"))
