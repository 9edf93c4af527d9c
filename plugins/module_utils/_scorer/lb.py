# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The rules of the load-balanced endpoint, in one place: a model's backend name, which scorer
hosts serve which model where (from the inventory), the addresses a scorer host lets in, and when
a canary fails. Role scorer_lb and role scorer reach them through the scorer_lb_* filters. (The
TLS and authentication rules every HAProxy of the collection shares, the stored credential
digests among them: _haproxy/tls.py.)"""

from __future__ import annotations

import ipaddress

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import HEALTH_PATH
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.models import problems

BACKEND_PREFIX = 'scorer_'
# The inventory groups of the scorer hosts and of their balancers when no other names are given
# (roles scorer_lb and scorer default scorer_lb_scorer_group and scorer_balancer_group to them).
SCORER_GROUP = 'scorers'
BALANCER_GROUP = 'scorer_lbs'
# Canary thresholds and their defaults (role scorer documents them as scorer_canary_*).
THRESHOLDS = dict(max_5xx_ratio=0.01, max_connection_errors=0, max_response_ms=1000, min_requests=0)


class LbRuleError(ValueError):
    """An inventory the rules cannot serve; one message naming the host, model and variable."""


def backend_name(model):
    """The balancer backend (and frontend) of a model."""
    return BACKEND_PREFIX + str(model)


def backends(scorer_hosts, health_paths=None):
    """The balancer's backends from the scorer hosts' inventory: scorer_hosts is a list of
    (host, scorer_models, address the balancers reach it at). Each model listed (and not
    state: absent) on a host becomes a server of its backend, at the host's address and the
    model's host_port; lb_port is the frontend's port and must agree wherever the model is. Each
    backend is health-checked on the route its scorers serve: health_paths, {host: path}
    (role scorer's scorer_health_path), HEALTH_PATH for a host not in it; one per backend."""
    found = {}
    for host, models, address in scorer_hosts:
        health_path = (health_paths or {}).get(host) or HEALTH_PATH
        if not address:
            raise LbRuleError('scorer host %s has no address for the balancers (set scorer_lb_address)' % host)
        found_problems = problems(models or [], with_balancers=True)
        if found_problems:
            raise LbRuleError('%s: %s' % (host, '; '.join(found_problems)))
        for model in models or []:
            if model.get('state', 'present') == 'absent':
                continue
            name, lb_port = model['name'], int(model['lb_port'])
            entry = found.setdefault(name, dict(name=backend_name(name), model=name, port=lb_port,
                                                health_path=health_path, servers=[]))
            if entry['port'] != lb_port:
                raise LbRuleError('model %s has lb_port %d on %s but %d elsewhere: one URL per model needs one port'
                                  % (name, lb_port, host, entry['port']))
            if entry['health_path'] != health_path:
                raise LbRuleError('model %s: scorer_health_path is %s on %s but %s elsewhere: the balancers check '
                                  'one route per model' % (name, health_path, host, entry['health_path']))
            entry['servers'].append(dict(name=host, address=address, port=int(model['host_port'])))
    ports = {}
    for entry in found.values():
        other = ports.setdefault(entry['port'], entry['model'])
        if other != entry['model']:
            raise LbRuleError('models %s and %s share lb_port %d' % (other, entry['model'], entry['port']))
    return [found[name] for name in sorted(found)]


def sources(balancers):
    """{'ipv4': [...], 'ipv6': [...]}: the addresses a scorer host lets in, from balancers, a list
    of (host, addresses) - each an IP address or network."""
    families = dict(ipv4=[], ipv6=[])
    for host, addresses in balancers:
        if not addresses:
            raise LbRuleError('balancer %s has no address the scorer hosts see it from (set scorer_lb_source_addresses '
                              'or gather its facts)' % host)
        for address in addresses:
            try:
                network = ipaddress.ip_network(str(address), strict=False)
            except ValueError:
                raise LbRuleError('balancer %s: %r is not an IP address or network' % (host, address))
            listed = families['ipv4' if network.version == 4 else 'ipv6']
            if str(network) not in listed:
                listed.append(str(network))
    return families


# HAProxy's rtime: a sliding average over a server's last TIME_STATS_SAMPLES HTTP requests
# (fewer while it has had fewer), whole milliseconds (src/stats.c, swrate_avg).
TIME_STATS_SAMPLES = 1024


def _count(read, key):
    """A counter of a server line (missing or empty: 0)."""
    return int(read.get(key) or 0)


def _total(reads, key):
    return sum(_count(read, key) for read in reads)


def window_response_ms(before, after):
    """The mean response time (ms) of the requests a server answered between two reads of its
    line (req_tot, rtime), recovered from HAProxy's sliding average: the requests before the
    window are taken out, so a slow canary is not hidden by the fast requests it served before
    it. None when it answered none. rtime is whole milliseconds: the fewer requests in the window
    (against 1024), the coarser the estimate."""
    start, end = _count(before, 'req_tot'), _count(after, 'req_tot')
    old, new = _count(before, 'rtime'), _count(after, 'rtime')
    count = end - start
    if count <= 0:
        return None
    if end <= TIME_STATS_SAMPLES:
        # Fewer requests than the window so far: rtime is their plain mean.
        return max(0.0, float(new * end - old * start) / count)
    kept = (1.0 - 1.0 / TIME_STATS_SAMPLES) ** count  # the share of the average before the window that remains
    return max(0.0, (new - old * kept) / (1.0 - kept))


def canary_verdict(before, after, thresholds=None):
    """Whether the canary passed: before and after are the canary's server lines (scorer_lb_info)
    on every balancer and backend, at the start and the end of its window. Returns
    {passed, reasons, requests, errors_5xx, connection_errors, response_ms}."""
    unknown = sorted(set(thresholds or {}) - set(THRESHOLDS))
    if unknown:
        raise ValueError('unknown thresholds %s (known: %s)' % (', '.join(unknown), ', '.join(sorted(THRESHOLDS))))
    limits = dict(THRESHOLDS)
    limits.update(dict((k, float(v)) for k, v in (thresholds or {}).items() if v is not None))
    requests = _total(after, 'stot') - _total(before, 'stot')
    errors_5xx = _total(after, 'hrsp_5xx') - _total(before, 'hrsp_5xx')
    connection_errors = (_total(after, 'econ') + _total(after, 'eresp')) - (_total(before, 'econ') + _total(before, 'eresp'))
    # The same reads in the same order (every balancer, then its backends): line by line.
    paired = len(before) == len(after) and all(
        (b.get('backend'), b.get('server')) == (a.get('backend'), a.get('server')) for b, a in zip(before, after))
    estimates = [window_response_ms(b, a) for b, a in zip(before, after)] if paired else []
    response_ms = int(round(max([e for e in estimates if e is not None] or [0])))
    reasons = []
    if min(requests, errors_5xx, connection_errors) < 0 or not paired:
        return dict(passed=False, reasons=['the balancers\' statistics were reset or their servers changed during the '
                                           'window (a reload): it cannot be judged'], requests=requests, errors_5xx=errors_5xx,
                    connection_errors=connection_errors, response_ms=response_ms)
    if requests < limits['min_requests']:
        reasons.append('%d requests in the window, fewer than the %d needed to judge it' % (requests, limits['min_requests']))
    if requests and float(errors_5xx) / requests > limits['max_5xx_ratio']:
        reasons.append('%d of %d requests answered 5xx (%.1f%%, more than %.1f%%)'
                       % (errors_5xx, requests, 100.0 * errors_5xx / requests, 100.0 * limits['max_5xx_ratio']))
    if connection_errors > limits['max_connection_errors']:
        reasons.append('%d connection or response errors (more than %d)' % (connection_errors, limits['max_connection_errors']))
    if response_ms > limits['max_response_ms']:
        reasons.append('average response time %d ms in the window (more than %d ms)' % (response_ms, limits['max_response_ms']))
    return dict(passed=not reasons, reasons=reasons, requests=requests, errors_5xx=errors_5xx,
                connection_errors=connection_errors, response_ms=response_ms)


def others_out(servers, batch):
    """The servers (scorer_lb_info's lines on every balancer) out of rotation - drained or in
    maintenance - that belong to no host of batch (the hosts this run takes out now), as
    'balancer backend/server state' lines. servers: [(balancer, line), ...]."""
    found = []
    for balancer, line in servers:
        if line.get('admin_state', 'ready') != 'ready' and line.get('server') not in batch:
            found.append('%s %s/%s %s' % (balancer, line.get('backend'), line.get('server'), line.get('admin_state')))
    return sorted(set(found))
