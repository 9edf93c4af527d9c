# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the port_owners_info module: which process and systemd unit listens on each TCP
port asked about (from `ss -Hltnp` and the process's cgroup), and which of them is held by
another unit than the one expected. Reads only."""

from __future__ import annotations

import re

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module

ARGUMENT_SPEC = dict(
    ports=dict(type='list', elements='int', default=[]),
    expected=dict(type='dict', default={}),
)
PID = re.compile(r'pid=(\d+)')
PROCESS = re.compile(r'\(\("([^"]*)",pid=')


def listeners(ss_output, ports):
    """[{port, address, pid, process}] of the LISTEN sockets of `ss -Hltnp` on one of ports
    (the first process of each: the others share its socket)."""
    found = []
    for line in ss_output.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[0] != 'LISTEN':
            continue
        address, _sep, port = fields[3].rpartition(':')
        if not port.isdigit() or int(port) not in ports:
            continue
        pid = PID.search(line)
        process = PROCESS.search(line)
        found.append(dict(port=int(port), address=address, pid=int(pid.group(1)) if pid else None,
                          process=process.group(1) if process else None))
    return found


def unit_of(cgroup_text):
    """The systemd unit of a process from its /proc/PID/cgroup (v2, or v1's name=systemd line):
    the last path element that is a unit (.service, .scope), None outside any."""
    for line in cgroup_text.splitlines():
        hierarchy, _sep, path = line.partition(':')
        controllers, _sep, path = path.partition(':')
        if (hierarchy == '0' and controllers == '') or controllers == 'name=systemd':
            units = [part for part in path.split('/') if part.endswith(('.service', '.scope'))]
            return units[-1] if units else None
    return None


def conflicts(owners, expected):
    """The owners whose unit is not the one expected for their port (ports expected nothing of
    are free to any; a socket whose process is not visible, without root, is not judged)."""
    return [dict(owner, expected=expected[owner['port']]) for owner in owners
            if owner['port'] in expected and owner['pid'] and owner['unit'] != expected[owner['port']]]


def holder(owner):
    """Who holds a port, in words: its unit, else its process."""
    return owner['unit'] or 'process %s, pid %s, in no systemd unit' % (owner['process'], owner['pid'])


def read_cgroup(pid):
    try:
        with open('/proc/%d/cgroup' % pid) as handle:
            return handle.read()
    except (IOError, OSError):
        return ''


def run(params, check_mode, host):
    try:
        expected = dict((int(port), unit) for port, unit in params['expected'].items())
    except (TypeError, ValueError):
        raise ModuleFailure('expected must map port numbers to unit names, got %r' % params['expected'])
    ports = set(params['ports']) | set(expected)
    bad = sorted(port for port in ports if not 1 <= port <= 65535)
    if bad:
        raise ModuleFailure('ports must be between 1 and 65535, got %s' % ', '.join(str(p) for p in bad))
    ss = host.get_bin_path('ss', required=True)
    rc, out, err = host.run_command([ss, '-Hltnp'])
    if rc != 0:
        raise ModuleFailure('ss -Hltnp failed: %s' % err.strip())
    owners = listeners(out, ports)
    for owner in owners:
        owner['unit'] = unit_of(read_cgroup(owner['pid'])) if owner['pid'] else None
        owner['holder'] = holder(owner)
    return dict(changed=False, owners=owners, conflicts=conflicts(owners, expected))


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
