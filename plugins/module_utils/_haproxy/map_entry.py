# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the haproxy_map_entry module: one key of an HAProxy map, in the map file HAProxy
loads when it starts and in the running HAProxy through its runtime API - a change takes effect
at the next request, without a reload (a reload closes idle keep-alive connections, which a
client may be sending on at that moment). The role mlflow_host switches a served model's port
between its blue and green slots so (a map of frontend to backend)."""

from __future__ import annotations

import os

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.atomic import replacing
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import (
    RUNTIME_ARGSPEC,
    Runtime,
    RuntimeApiError,
)

ARGUMENT_SPEC = dict(
    path=dict(type='path', required=True),
    key=dict(type='str', required=True, no_log=False),
    value=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    **RUNTIME_ARGSPEC
)
# What HAProxy 2.6 answers `show map <file>` for a file it has not loaded (the running
# configuration does not use it), and `set map` for a key it does not hold.
NOT_LOADED = 'Unknown map identifier'
NOT_FOUND = 'entry not found'


def _not_a_word(text):
    return not text or any(ch.isspace() for ch in text)


def file_entries(text):
    """[(key, value)] of a map file's lines: blank lines and comments left out, as HAProxy reads them."""
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            key, _sep, value = line.partition(' ')
            entries.append((key, value.strip()))
    return entries


def file_with(text, key, value):
    """The map file's text with key's lines replaced by `key value` (value None: removed), its
    other lines kept as they were, the new line where key's first was (else at the end)."""
    lines, placed = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith('#') and stripped.partition(' ')[0] == key:
            if value is not None and not placed:
                lines.append('%s %s' % (key, value))
            placed = True
            continue
        lines.append(line)
    if value is not None and not placed:
        lines.append('%s %s' % (key, value))
    return ''.join(line + '\n' for line in lines)


def runtime_entries(answer, path):
    """[(key, value)] of `show map <path>`'s answer (`<pointer> <key> <value>` per line), or None
    when the running HAProxy has not loaded that map; an answer of another shape fails."""
    if answer.strip().startswith(NOT_LOADED):
        return None
    entries = []
    for line in answer.splitlines():
        if not line.strip():
            continue
        fields = line.split(' ', 2)
        if len(fields) < 2 or not fields[0].startswith('0x'):
            raise ModuleFailure('show map %s: unrecognised answer: %s' % (path, line[:200]), changed=False)
        entries.append((fields[1], fields[2] if len(fields) > 2 else ''))
    return entries


def _value_of(entries, key):
    """The value HAProxy uses for key (the first entry of it), or None."""
    return next((value for found, value in entries if found == key), None)


def run(params, check_mode, host):
    key, value, path = params['key'], params['value'], params['path']
    if params['state'] == 'present' and value is None:
        raise ModuleFailure('value is required with state=present', changed=False)
    if _not_a_word(key) or (params['state'] == 'present' and _not_a_word(value)):
        raise ModuleFailure('key and value must be single words (an HAProxy map line is "key value")', changed=False)
    if params['socket_timeout'] <= 0:
        raise ModuleFailure('socket_timeout must be more than 0 seconds', changed=False)
    wanted = value if params['state'] == 'present' else None
    try:
        with open(path) as handle:
            text = handle.read()
    except FileNotFoundError:
        text = None
    except OSError as error:
        raise ModuleFailure('cannot read the map file %s: %s' % (path, error), changed=False)
    before = _value_of(file_entries(text or ''), key)
    new_text = file_with(text or '', key, wanted)
    file_changed = (text is None and wanted is not None) or (text is not None and new_text != text)
    result = dict(changed=False, file_changed=file_changed, runtime_changed=False, runtime='not running',
                  previous=before, value=wanted)
    if host.diff:
        result['diff'] = dict(before='' if before is None else '%s %s\n' % (key, before),
                              after='' if wanted is None else '%s %s\n' % (key, wanted), before_header=path, after_header=path)
    if file_changed and not check_mode:
        if not os.path.isdir(os.path.dirname(path) or '.'):
            raise ModuleFailure('the directory of the map file %s does not exist' % path, changed=False)
        with replacing(path, 'w') as (handle, _tmp):
            handle.write(new_text)
        os.chmod(path, 0o644)
    result['changed'] = file_changed
    if os.path.exists(params['socket']):
        try:
            _runtime(Runtime(params['socket'], params['socket_timeout']), path, key, wanted, check_mode, result)
        except RuntimeApiError as error:
            raise ModuleFailure(str(error), **result)
    return result


def _runtime(runtime, path, key, wanted, check_mode, result):
    """The running HAProxy's entry of key made `wanted` (None: removed); result says what it was."""
    entries = runtime_entries(runtime.command('show map %s' % path), path)
    if entries is None:
        # The running configuration does not use this map yet: its next start or reload loads the file.
        result['runtime'] = 'map not loaded'
        return
    result['runtime'] = 'running'
    held = [v for k, v in entries if k == key]
    if (wanted is None and not held) or (wanted is not None and held and all(v == wanted for v in held)):
        return
    result.update(changed=True, runtime_changed=True)
    if check_mode:
        return
    if wanted is None:
        runtime.act('del map %s %s' % (path, key))
    elif held:
        runtime.act('set map %s %s %s' % (path, key, wanted))
    else:
        runtime.act('add map %s %s %s' % (path, key, wanted))


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
