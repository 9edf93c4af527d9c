# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The health gate a (re)started scorer must pass, bounded in time: it runs (an exit, or a
restart under a restart policy, fails at once with the tail of its log), its image healthcheck
(if any) is healthy, its health route answers 2xx, and the smoke payload (if any) scores 2xx."""

from __future__ import annotations

import time

from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.engine import POLL_SECONDS
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.options import ScorerError
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.http import http_call


def gate_of(params):
    """The gate's values from scorer_container's options."""
    return dict((key, params[key]) for key in
                ('container_port', 'health_path', 'health_timeout', 'smoke_path', 'smoke_payload'))


def wait_healthy(engine, name, container_id, gate, clock=time.monotonic, sleep=time.sleep):
    """The health record of container_id once it passed, or ScorerError naming what failed."""
    started = clock()
    deadline = started + gate['health_timeout']
    url = engine.published_url(container_id, gate['container_port'])
    last = 'no answer yet'
    while True:
        container = engine.inspect(container_id)
        state = container['State']
        # A restart policy turns an exit into a restart loop: the first restart is the failure.
        if state.get('Status') in ('exited', 'dead') or state.get('Restarting') or container.get('RestartCount'):
            how = ('exit code %s' % state['ExitCode'] if state.get('Status') in ('exited', 'dead')
                   else 'restarted %s times' % container.get('RestartCount'))
            raise ScorerError('%s exited at start (%s); its log ends:\n%s' % (name, how, engine.logs_tail(container_id)))
        image_health = (state.get('Health') or {}).get('Status')
        if image_health in (None, 'healthy'):
            status, last = http_call(url + (gate['health_path'] or '/'))
            if status and 200 <= status < 300:
                break
        else:
            last = 'image healthcheck is %s' % image_health
        if clock() >= deadline:
            raise ScorerError('%s was not healthy within %ss (last: %s); its log ends:\n%s'
                              % (name, gate['health_timeout'], last, engine.logs_tail(container_id)))
        sleep(POLL_SECONDS)
    health = dict(url=url + gate['health_path'], seconds=round(clock() - started, 3))
    if gate['smoke_payload'] is not None:
        smoke_started = clock()
        status, body = http_call(url + gate['smoke_path'], gate['smoke_payload'])
        if not status or not 200 <= status < 300:
            raise ScorerError('%s did not score the smoke payload (POST %s answered %s: %s); its log ends:\n%s'
                              % (name, gate['smoke_path'], status, body[:500], engine.logs_tail(container_id)))
        health['smoke'] = dict(status=status, seconds=round(clock() - smoke_started, 3), response=body[:1000])
    return health
