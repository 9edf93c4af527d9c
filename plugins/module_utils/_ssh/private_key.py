# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the ssh_private_key module: a private key written 0600 and atomically (from content,
a key vault's answer, or a file on the controller), its public line returned, never its body."""

from __future__ import annotations

import os

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.atomic import replacing
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh.keys import (
    SSHKeyError,
    fingerprint,
    load_private_key,
    public_line,
    require_paramiko,
)

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


def run(params, check_mode, host):
    require_paramiko()
    path = params['path']
    mode = params['mode'] if params['mode'] is not None else '0600'
    if isinstance(mode, int) or (isinstance(mode, str) and mode.isdigit()):
        if int(str(mode), 8) & 0o077:
            raise ModuleFailure('mode %s lets others than the owner read or change the private key; '
                                'use 0600 or 0400' % mode)
    if params['src'] is not None:
        try:
            with open(params['src']) as handle:
                text = handle.read()
        except (IOError, OSError) as error:
            raise ModuleFailure('cannot read the private key src %s: %s' % (params['src'], to_native(error.strerror)))
    else:
        text = params['content']
    try:
        key = load_private_key(text)
    except SSHKeyError as error:
        raise ModuleFailure('%s; nothing was written to %s' % (error, path))
    text = normalized(text)

    before = None
    if os.path.isdir(path):
        raise ModuleFailure('path %s is a directory' % path)
    if os.path.exists(path):
        try:
            with open(path) as handle:
                existing = handle.read()
        except (IOError, OSError) as error:
            raise ModuleFailure('cannot read %s: %s' % (path, to_native(error.strerror)))
        try:
            before = fingerprint(load_private_key(existing))
        except SSHKeyError:
            before = '(not a private key)'
        changed = normalized(existing) != text
    else:
        if not os.path.isdir(os.path.dirname(path) or '.'):
            raise ModuleFailure('the directory of %s does not exist' % path)
        changed = True
    after = fingerprint(key)
    if changed and not check_mode:
        try:
            write_key_file(path, text)
        except (IOError, OSError) as error:
            raise ModuleFailure('cannot write %s: %s' % (path, to_native(error)))

    diff = {'before': {'path': path, 'fingerprint': before}, 'after': {'path': path, 'fingerprint': after}}
    if os.path.exists(path):
        changed = host.set_file_attributes(path, changed, mode=mode, diff=diff)

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
        if public_changed and not check_mode:
            try:
                write_key_file(public_path, public + '\n')
            except (IOError, OSError) as error:
                raise ModuleFailure('cannot write %s: %s' % (public_path, to_native(error)))
        changed = changed or public_changed
        if os.path.exists(public_path):
            changed = host.set_file_attributes(public_path, changed, mode='0644')
    return dict(
        changed=changed,
        path=path,
        public_key=public,
        fingerprint=after,
        key_type=key.get_name(),
        diff=diff,
    )


def run_module():
    run_ansible_module(
        run, PRIVATE_KEY_ARGUMENT_SPEC,
        add_file_common_args=True,
        required_one_of=[('content', 'src')],
        mutually_exclusive=[('content', 'src')],
        supports_check_mode=True,
    )
