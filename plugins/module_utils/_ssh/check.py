# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the ssh_check module: an SSH session opened from the managed host with the server's
host key checked against a known one before anything is sent (bounded in time)."""

from __future__ import annotations

import socket
import time

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh.keys import (
    SSHKeyError,
    fingerprint,
    load_private_key,
    paramiko,
    parse_host_key,
    public_line,
    require_paramiko,
)

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
    """The name host:port goes by in known_hosts (OpenSSH writes [host]:port for other ports)."""
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
                      known_hosts_name=known_name(params['host'], params['port']),
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


def run(params, check_mode, host):
    require_paramiko()
    if not 1 <= params['port'] <= 65535 or params['timeout'] < 1:
        raise ModuleFailure('port must be 1-65535 and timeout at least 1 second')
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
        raise ModuleFailure(to_native(error))
    return dict(changed=False, seconds=round(time.monotonic() - started, 3), **result)


def run_module():
    run_ansible_module(
        run, CHECK_ARGUMENT_SPEC,
        required_one_of=[('host_key', 'known_hosts_path')],
        mutually_exclusive=[('host_key', 'known_hosts_path')],
        required_if=[('authenticate', True, ('user', 'key_path'))],
        supports_check_mode=True,
    )
