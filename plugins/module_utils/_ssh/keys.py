# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SSH keys for the ssh_private_key and ssh_check modules: read with paramiko (OpenSSH ECDSA keys
through cryptography where paramiko cannot), never echoed; fingerprints, public lines, host keys."""

from __future__ import annotations

import base64
import hashlib
import io
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure

try:
    import paramiko
    from paramiko.hostkeys import HostKeyEntry, InvalidHostKey
except ImportError:
    paramiko = None
    PARAMIKO_IMPORT_ERROR = traceback.format_exc()
else:
    PARAMIKO_IMPORT_ERROR = None


class SSHKeyError(Exception):
    pass


ENCRYPTED_KEY_MESSAGE = ('the private key is encrypted with a passphrase: give an unencrypted key '
                         '(Sparkflows reads the key file without one)')


def require_paramiko():
    """A ModuleFailure (as AnsibleModule says a library is missing) when paramiko is not installed."""
    if paramiko is None:
        raise ModuleFailure(missing_required_lib('paramiko (Debian: python3-paramiko)'), exception=PARAMIKO_IMPORT_ERROR)


def fingerprint(key):
    """OpenSSH's SHA256 fingerprint of a paramiko key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return 'SHA256:' + to_native(base64.b64encode(digest)).rstrip('=')


def public_line(key, comment=''):
    return ' '.join(part for part in (key.get_name(), key.get_base64(), comment) if part)


def load_private_key(text):
    """The paramiko key of an unencrypted RSA, ECDSA or Ed25519 private key (OpenSSH or PEM).
    Errors never quote the text."""
    if not text or not text.strip():
        raise SSHKeyError('no private key material was given (empty)')
    for key_class in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return key_class.from_private_key(io.StringIO(text))
        except paramiko.PasswordRequiredException:
            raise SSHKeyError(ENCRYPTED_KEY_MESSAGE)
        except (paramiko.SSHException, ValueError, TypeError, IndexError, AssertionError):
            continue
    key = _ecdsa_key_via_cryptography(text)
    if key is not None:
        return key
    raise SSHKeyError('the given material is not a valid SSH private key (RSA, ECDSA or Ed25519, '
                      'OpenSSH or PEM format)')


def _ecdsa_key_via_cryptography(text):
    """An ECDSA key in OpenSSH format read by cryptography: paramiko before 3.0 (python3-paramiko
    2.12 of Debian 12) fails on these with "Invalid key curve identifier"."""
    try:
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_ssh_private_key
    except ImportError:
        return None
    try:
        key = load_ssh_private_key(text.strip().encode('ascii'), password=None)
    except TypeError:  # cryptography's word for "encrypted"
        raise SSHKeyError(ENCRYPTED_KEY_MESSAGE)
    except (ValueError, UnicodeError, UnsupportedAlgorithm):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    return paramiko.ECDSAKey(vals=(key, key.public_key()))


def parse_host_key(line):
    """A paramiko key from a public key line, with or without a leading host field."""
    fields = line.split()
    if len(fields) >= 2 and not fields[0].startswith(('ssh-', 'ecdsa-', 'sk-')):
        fields = fields[1:]
    try:
        entry = HostKeyEntry.from_line('host ' + ' '.join(fields[:2])) if len(fields) >= 2 else None
    except (InvalidHostKey, paramiko.SSHException, ValueError, TypeError):
        entry = None
    if entry is None or entry.key is None:
        raise SSHKeyError('host_key is not an SSH public key line ("<type> <base64>"): %r' % line[:80])
    return entry.key
