# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the ssh_private_key and ssh_check modules (private): SSH keys read with paramiko,
never echoed; a private key written 0600 and atomically; an SSH session opened from the managed
host with the server's host key checked against a known one before anything is sent."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.sparkflows.mlops.plugins.module_utils._atomic import replacing

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


def require_paramiko(module):
    if paramiko is None:
        module.fail_json(msg=missing_required_lib('paramiko (Debian: python3-paramiko)'),
                         exception=PARAMIKO_IMPORT_ERROR)


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


# ---------------------------------------------------------------------------------------------
# ssh_private_key

PRIVATE_KEY_ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    content=dict(type='str', no_log=True),
    src=dict(type='path'),
    comment=dict(type='str', default=''),
    public_key_file=dict(type='bool', default=True),
)


def normalized(text):
    return text.strip() + '\n'


def write_key_file(path, text):
    with replacing(path, 'w') as (handle, _temporary):
        handle.write(text)


def run_private_key_module():
    module = AnsibleModule(
        argument_spec=PRIVATE_KEY_ARGUMENT_SPEC,
        add_file_common_args=True,
        required_one_of=[('content', 'src')],
        mutually_exclusive=[('content', 'src')],
        supports_check_mode=True,
    )
    require_paramiko(module)
    params = module.params
    path = params['path']
    mode = params['mode'] if params['mode'] is not None else '0600'
    if isinstance(mode, int) or (isinstance(mode, str) and mode.isdigit()):
        if int(str(mode), 8) & 0o077:
            module.fail_json(msg='mode %s lets others than the owner read or change the private key; '
                                 'use 0600 or 0400' % mode)
    if params['src'] is not None:
        try:
            with open(params['src']) as handle:
                text = handle.read()
        except (IOError, OSError) as error:
            module.fail_json(msg='cannot read the private key src %s: %s' % (params['src'], to_native(error.strerror)))
    else:
        text = params['content']
    try:
        key = load_private_key(text)
    except SSHKeyError as error:
        module.fail_json(msg='%s; nothing was written to %s' % (error, path))
    text = normalized(text)

    before = None
    if os.path.isdir(path):
        module.fail_json(msg='path %s is a directory' % path)
    if os.path.exists(path):
        try:
            with open(path) as handle:
                existing = handle.read()
        except (IOError, OSError) as error:
            module.fail_json(msg='cannot read %s: %s' % (path, to_native(error.strerror)))
        try:
            before = fingerprint(load_private_key(existing))
        except SSHKeyError:
            before = '(not a private key)'
        changed = normalized(existing) != text
    else:
        if not os.path.isdir(os.path.dirname(path) or '.'):
            module.fail_json(msg='the directory of %s does not exist' % path)
        changed = True
    after = fingerprint(key)
    if changed and not module.check_mode:
        try:
            write_key_file(path, text)
        except (IOError, OSError) as error:
            module.fail_json(msg='cannot write %s: %s' % (path, to_native(error)))

    file_args = module.load_file_common_arguments(params, path=path)
    file_args['mode'] = mode
    diff = {'before': {'path': path, 'fingerprint': before}, 'after': {'path': path, 'fingerprint': after}}
    if os.path.exists(path):
        changed = module.set_fs_attributes_if_different(file_args, changed, diff=diff)

    # <path>.pub as ssh-keygen leaves it: OpenSSH clients offer the key of a .pub beside the
    # private key, so a stale one (an earlier key's) would make them fail.
    public = public_line(key, params['comment'])
    if params['public_key_file']:
        public_path = path + '.pub'
        try:
            with open(public_path) as handle:
                public_changed = handle.read() != public + '\n'
        except (IOError, OSError):
            public_changed = True
        if public_changed and not module.check_mode:
            try:
                write_key_file(public_path, public + '\n')
            except (IOError, OSError) as error:
                module.fail_json(msg='cannot write %s: %s' % (public_path, to_native(error)))
        changed = changed or public_changed
        if os.path.exists(public_path):
            public_args = module.load_file_common_arguments(params, path=public_path)
            public_args['mode'] = '0644'
            changed = module.set_fs_attributes_if_different(public_args, changed)
    module.exit_json(
        changed=changed,
        path=path,
        public_key=public,
        fingerprint=after,
        key_type=key.get_name(),
        diff=diff,
    )


# ---------------------------------------------------------------------------------------------
# ssh_check

CHECK_ARGUMENT_SPEC = dict(
    host=dict(type='str', required=True),
    port=dict(type='int', default=22),
    user=dict(type='str'),
    key_path=dict(type='path'),
    host_key=dict(type='str', no_log=False),  # a public key
    known_hosts_path=dict(type='path'),
    authenticate=dict(type='bool', default=True),
    command=dict(type='str', default='true'),
    timeout=dict(type='int', default=10),
)

# Host key algorithms that a public key of the given type can be offered under.
ALGORITHMS = {'ssh-rsa': ('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa')}


def known_name(host, port):
    return host if port == 22 else '[%s]:%d' % (host, port)


def expected_keys(params):
    """The host keys the server may show: from host_key, or from known_hosts_path for host:port."""
    if params['host_key']:
        return [parse_host_key(params['host_key'])], 'host_key'
    known = paramiko.HostKeys()
    try:
        known.load(params['known_hosts_path'])
    except (IOError, OSError) as error:
        raise SSHKeyError('cannot read known_hosts_path %s: %s' % (params['known_hosts_path'], to_native(error)))
    entries = known.lookup(known_name(params['host'], params['port'])) or {}
    if not entries:
        raise SSHKeyError('%s is not in %s: its host key is unknown, and an unknown host key is never '
                          'accepted' % (known_name(params['host'], params['port']), params['known_hosts_path']))
    return list(entries.values()), params['known_hosts_path']


def prefer(transport, keys):
    """Ask the server for a host key of a type we know, as OpenSSH does."""
    options = transport.get_security_options()
    wanted = []
    for key in keys:
        wanted.extend(ALGORITHMS.get(key.get_name(), (key.get_name(),)))
    supported = list(options.key_types)
    first = [name for name in wanted if name in supported]
    options.key_types = first + [name for name in supported if name not in first]


def read_channel(channel, deadline):
    output = []
    while not channel.exit_status_ready() or channel.recv_ready():
        if time.monotonic() > deadline:
            raise SSHKeyError('the command did not finish in time')
        if channel.recv_ready():
            output.append(channel.recv(65536))
        else:
            time.sleep(0.05)
    errors = []
    while channel.recv_stderr_ready():
        errors.append(channel.recv_stderr(65536))
    return channel.recv_exit_status(), b''.join(output), b''.join(errors)


def check_connection(params, private_key):
    """Connect, check the host key, optionally authenticate and run the command. Returns a dict."""
    host, port, timeout = params['host'], params['port'], params['timeout']
    where = '%s:%d' % (host, port)
    keys, source = expected_keys(params)
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except (socket.error, OSError) as error:
        raise SSHKeyError('cannot reach %s over SSH from this host: %s' % (where, to_native(error)))
    transport = paramiko.Transport(sock)
    try:
        prefer(transport, keys)
        try:
            transport.start_client(timeout=timeout)
        except (paramiko.SSHException, socket.error, EOFError) as error:
            raise SSHKeyError('no SSH handshake with %s: %s' % (where, to_native(error)))
        offered = transport.get_remote_server_key()
        if not any(offered.get_name() == key.get_name() and offered.asbytes() == key.asbytes() for key in keys):
            raise SSHKeyError(
                'host key mismatch for %s: the server offers %s %s, %s expects %s. Nothing was sent; '
                'if the host was really reinstalled, update the known key'
                % (where, offered.get_name(), fingerprint(offered), source,
                   ', '.join('%s %s' % (key.get_name(), fingerprint(key)) for key in keys)))
        result = dict(host_key=public_line(offered), host_key_type=offered.get_name(),
                      host_key_fingerprint=fingerprint(offered),
                      authenticated=False)
        if not params['authenticate']:
            return result
        try:
            transport.auth_publickey(params['user'], private_key)
        except paramiko.AuthenticationException:
            raise SSHKeyError('%s@%s refused the key %s (is its public key in ~%s/.ssh/authorized_keys, '
                              'and is this host allowed by its from= option?)'
                              % (params['user'], where, fingerprint(private_key), params['user']))
        except (paramiko.SSHException, socket.error, EOFError) as error:
            raise SSHKeyError('authentication with %s failed: %s' % (where, to_native(error)))
        result['authenticated'] = True
        try:
            channel = transport.open_session(timeout=timeout)
            channel.exec_command(params['command'])
            rc, stdout, stderr = read_channel(channel, time.monotonic() + timeout)
        except (paramiko.SSHException, socket.error, EOFError) as error:
            raise SSHKeyError('the SSH session with %s broke off: %s' % (where, to_native(error) or type(error).__name__))
        if rc != 0:
            raise SSHKeyError('the SSH session opened, but %r exited %d on %s: %s'
                              % (params['command'], rc, where, to_native(stderr).strip()[-500:]))
        result.update(rc=rc, stdout=to_native(stdout).strip())
        return result
    finally:
        transport.close()


def run_check_module():
    module = AnsibleModule(
        argument_spec=CHECK_ARGUMENT_SPEC,
        required_one_of=[('host_key', 'known_hosts_path')],
        mutually_exclusive=[('host_key', 'known_hosts_path')],
        required_if=[('authenticate', True, ('user', 'key_path'))],
        supports_check_mode=True,
    )
    require_paramiko(module)
    params = module.params
    if not 1 <= params['port'] <= 65535 or params['timeout'] < 1:
        module.fail_json(msg='port must be 1-65535 and timeout at least 1 second')
    private_key = None
    started = time.monotonic()
    try:
        if params['authenticate']:
            try:
                with open(params['key_path']) as handle:
                    private_key = load_private_key(handle.read())
            except (IOError, OSError) as error:
                raise SSHKeyError('cannot read key_path %s: %s' % (params['key_path'], to_native(error.strerror)))
        result = check_connection(params, private_key)
    except SSHKeyError as error:
        module.fail_json(msg=to_native(error))
    module.exit_json(changed=False, seconds=round(time.monotonic() - started, 3), **result)
