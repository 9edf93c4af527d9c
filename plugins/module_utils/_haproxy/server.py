# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the scorer_lb_server module: a scorer host's server in the backends of one balancer,
taken out of rotation (drain: no new requests, its sessions end; maint: out) or put back (ready,
at a weight), waiting - bounded - until its sessions ended or the balancer's health checks see
it UP."""

from __future__ import annotations

import os
import time

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import (
    RUNTIME_ARGSPEC,
    Runtime,
    RuntimeApiError,
)

ARGUMENT_SPEC = dict(
    server=dict(type='str', required=True),
    backends=dict(type='list', elements='str'),
    state=dict(type='str', required=True, choices=['ready', 'drain', 'maint']),
    weight=dict(type='int'),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='float', default=120.0),
    **RUNTIME_ARGSPEC
)
POLL_SECONDS = 0.5
# Statuses of a server the balancer sends requests to (UP; "no check": a server without checks).
IN_ROTATION = ('UP', 'no check')


class ServerError(Exception):
    """One clear message naming the server, the balancer socket and what was left as it is."""


def targets(servers, name, backends):
    """The server's lines in the backends asked (every backend holding it when none is given)."""
    found = [s for s in servers if s['server'] == name and (not backends or s['backend'] in backends)]
    if backends:
        missing = sorted(set(backends) - set(s['backend'] for s in found))
        if missing:
            raise ServerError('no server %s in backend %s' % (name, ', '.join(missing)))
    if not found:
        raise ServerError('no backend holds a server %s' % name)
    return found


def shown(server):
    return dict(state=server['admin_state'], weight=server['weight'])


def key(server):
    return '%s/%s' % (server['backend'], server['server'])


def described(server):
    """A server's line in words: backend/server, status, sessions, last check."""
    check = ', check %s' % server['check_status'] if server['check_status'] else ''
    return '%s %s, %d sessions%s' % (key(server), server['status'], server['scur'] + server['qcur'], check)


class ServerRotation(object):
    """The steps from the servers' states to the one asked, through a Runtime; waits bounded."""

    def __init__(self, runtime, params, check_mode=False, sleep=time.sleep, clock=time.monotonic):
        self.runtime = runtime
        self.params = params
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.actions = []

    def read(self):
        return targets(self.runtime.servers(), self.params['server'], self.params['backends'])

    def wait_until(self, done, what):
        """Poll until done(servers) holds for the servers, up to wait_timeout; the servers last read."""
        deadline = self.clock() + self.params['wait_timeout']
        while True:
            servers = self.read()
            if done(servers):
                return servers
            if self.clock() >= deadline:
                raise ServerError('%s: not %s after %s s: %s' % (
                    self.params['server'], what, self.params['wait_timeout'], '; '.join(described(s) for s in servers)))
            self.sleep(POLL_SECONDS)

    def set_state(self, servers, state):
        for server in servers:
            if server['admin_state'] != state:
                if not self.check_mode:
                    self.runtime.set_state(server['backend'], server['server'], state)
                self.actions.append('%s: %s' % (key(server), state))

    def run(self):
        params = self.params
        before = self.read()
        state, weight = params['state'], params['weight']
        if weight is not None and not 0 <= weight <= 256:
            raise ServerError('weight must be between 0 and 256, got %d' % weight)
        if weight is not None and state != 'ready':
            raise ServerError('weight is the weight to serve at: it goes with state ready, not %s' % state)
        wait = params['wait'] and not self.check_mode
        if state == 'ready':
            self.set_state(before, 'ready')
            for server in before:
                # Back in rotation at the weight asked, else at the configuration's (a canary's ends).
                wanted = server['initial_weight'] if weight is None else weight
                if server['weight'] != wanted:
                    if not self.check_mode:
                        self.runtime.set_weight(server['backend'], server['server'], wanted)
                    self.actions.append('%s: weight %d' % (key(server), wanted))
            if wait:
                self.wait_until(lambda servers: all(s['status'] in IN_ROTATION for s in servers), 'UP')
        else:
            # Out of rotation: no new requests first, then (wait) the ones in flight end.
            self.set_state(before if state == 'drain' else [s for s in before if s['admin_state'] == 'ready'], 'drain')
            if wait:
                self.wait_until(lambda servers: all(s['scur'] + s['qcur'] == 0 for s in servers), 'drained of its sessions')
            if state == 'maint':
                self.set_state(before, 'maint')
        after = [dict(s, admin_state=state, weight=(s['initial_weight'] if weight is None else weight)
                      if state == 'ready' else s['weight'])
                 for s in before] if self.check_mode else self.read()
        return dict(
            changed=bool(self.actions), actions=self.actions,
            servers=[dict(backend=s['backend'], server=s['server'], state=s['admin_state'], weight=s['weight'],
                          status=s['status'], sessions=s['scur'] + s['qcur']) for s in after],
            diff=dict(before=dict((key(s), shown(s)) for s in before), after=dict((key(s), shown(s)) for s in after)),
        )


def run(params, check_mode, host):
    if params['wait_timeout'] <= 0 or params['socket_timeout'] <= 0:
        raise ModuleFailure('wait_timeout and socket_timeout must be more than 0 seconds')
    if check_mode and not os.path.exists(params['socket']):
        # A balancer whose HAProxy this run installs: nothing to take out or put back yet.
        return dict(changed=False, actions=[], servers=[],
                    msg='check mode: no runtime API at %s yet (HAProxy not installed?); nothing to preview' % params['socket'])
    rotation = ServerRotation(Runtime(params['socket'], params['socket_timeout']), params, check_mode=check_mode)
    try:
        result = rotation.run()
    except (ServerError, RuntimeApiError) as e:
        raise ModuleFailure('%s (balancer socket %s)' % (e, params['socket']), actions=rotation.actions)
    if not host.diff:
        result.pop('diff')
    return result


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
