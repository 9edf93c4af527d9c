# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the scorer_lb_info module: every backend server of a balancer as its runtime API
reports it - administrative state, weight, status of its health checks, sessions, and the
counters a canary is judged by. Reads only."""

from __future__ import annotations

import os

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import (
    RUNTIME_ARGSPEC,
    Runtime,
    RuntimeApiError,
)

ARGUMENT_SPEC = dict(
    backends=dict(type='list', elements='str'),
    server=dict(type='str'),
    **RUNTIME_ARGSPEC
)


def read(runtime, backends=None, server=None):
    """(servers, backends): the server lines asked, and per backend how many of its servers are UP."""
    servers = [s for s in runtime.servers()
               if (not backends or s['backend'] in backends) and (not server or s['server'] == server)]
    summary = {}
    for s in servers:
        entry = summary.setdefault(s['backend'], dict(servers=0, up=0))
        entry['servers'] += 1
        entry['up'] += 1 if s['status'] == 'UP' else 0
    return servers, summary


def run(params, check_mode, host):
    if params['socket_timeout'] <= 0:
        raise ModuleFailure('socket_timeout must be more than 0 seconds')
    if check_mode and not os.path.exists(params['socket']):
        # A balancer whose HAProxy this run installs: nothing to read yet.
        return dict(changed=False, servers=[], backends={},
                    msg='check mode: no runtime API at %s yet (HAProxy not installed?)' % params['socket'])
    try:
        servers, backends = read(Runtime(params['socket'], params['socket_timeout']), params['backends'], params['server'])
    except RuntimeApiError as e:
        raise ModuleFailure(str(e))
    return dict(changed=False, servers=servers, backends=backends)


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
