# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report of playbooks/report.yml, shaped from what its plays read on each host."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit, urlunsplit

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import masked
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.model_version_info import names_an_alias
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.ports import SLOTS, live_slot
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import (
    ImageRuleError,
    expected_tag,
    tag_of,
)

DOCUMENTATION = r"""
name: fleet_report
short_description: The fleet report from what report.yml read on each host
version_added: 0.1.0
description:
  - Shapes the report that C(playbooks/report.yml) writes as JSON and HTML, and says what is red,
    from what its plays read on each host. The owner of what counts as red.
  - A scorer is red when it is missing, not running, or does not answer its sample (or health
    route); one that answers but runs another Sparkflows release or model than the inventory asks
    for is red as drifting. An MLflow host is red when its tracking server or a served model does
    not answer, or as drifting when a served model serves another URI than the inventory pins
    (C(models:/NAME/VERSION); for one that names an alias the report shows the version its last
    run served); a Sparkflows host when its score workflow did not complete; a balancer's backend
    server when it is not C(UP) and in rotation.
  - Each served model shows the model URI it serves and its slot behind the TLS proxy, and the URI
    of the other slot kept running for a switch back, as the MLflow host keeps them
    (C(models/served.json)).
  - The Sparkflows server's row - its URL, health, release and the MLflow configuration it holds
    (secret values masked) - is red when the server does not answer C(UP), and for each running
    scorer, on the scorer hosts of the report that use the same server (the same Sparkflows URL),
    whose image tag is not the tag of the server's release (C(scorer_image_tag_format); an image
    run by digest is compared by the release it was deployed for). A mismatch the scorer host
    allows (C(scorer_allow_release_mismatch)) is shown, not red.
  - Each scorer also shows its previous version (what a rollback returns to) and each scorer host
    its last deployments, from the host's deployment history.
options:
  _input:
    description:
      - C(scorers), C(mlflow), C(sparkflows) and C(balancers), each a dict of host name to what the
        report's play read there (see C(playbooks/report.yml)); a host with nothing read is left out.
    type: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Shape the report
  ansible.builtin.set_fact:
    report: "{{ {'scorers': {'scorer1': scorer_reads}, 'mlflow': {}, 'sparkflows': {}} | sparkflows.mlops.fleet_report }}"
"""

RETURN = r"""
_value:
  description:
    - C(generated) (UTC, ISO 8601 with its offset), C(scorers) (host to a list of scorer records,
      each with its C(state) in words and C(red)), C(deployments) (host to its last records),
      C(mlflow), C(sparkflows) (host to a record), C(balancers) (host to its backend servers), and
      C(red), the ids of what is red (C(host/scorer), C(host/mlflow), C(host/workflow),
      C(host/sparkflows), C(host/image/scorer_host/scorer), C(balancer/backend/server)).
  type: dict
"""


def _version(record):
    """A deployment record in short: what a rollback would return to."""
    if not record:
        return None
    return dict(time=record.get('time'), model_id=record.get('model_id') or '', outcome=record.get('outcome'),
                model_sha256=(record.get('model_sha256') or '')[:12], release=record.get('release') or '',
                image_digest=(record.get('image_digest') or '')[:19], actor=record.get('actor') or '',
                red=record.get('outcome') in ('failed', 'canary_failed'))


def _scorer(host, model, read, expected_release):
    """One scorer record: read is scorer_info's answer for the model's container."""
    check = read.get('score') or read.get('health') or {}
    status = check.get('status') or 0
    drift = []
    if read.get('exists') and (read.get('release') or '') != expected_release:
        drift.append('release %s instead of %s' % (read.get('release') or 'none', expected_release))
    if read.get('exists') and 'model_id' in model and (read.get('model_id') or '') != str(model['model_id']):
        drift.append('model %s instead of %s' % (read.get('model_id') or 'none', model['model_id']))
    healthy = bool(read.get('healthy'))
    if healthy:
        state = 'drifting' if drift else 'healthy'
    elif not read.get('exists'):
        state = 'missing'
    elif not read.get('running'):
        state = 'not running'
    else:
        state = 'scoring fails (HTTP %s)' % (status or 'no answer')
    return dict(
        name=model['name'], id='%s/%s' % (host, model['name']),
        container=read.get('name') if read.get('exists') else '',
        running=bool(read.get('running')), image=read.get('image') or '', release=read.get('release') or '',
        model_id=read.get('model_id') or '', model_sha256=read.get('model_sha256') or '',
        host_port=model.get('host_port'), score_status=status,
        score_ms=round(check['seconds'] * 1000, 1) if status else None,
        prediction=(check.get('response') or '')[:200] if status else '',
        expected_release=expected_release, drift=drift, healthy=healthy, state=state,
        red=not healthy or bool(drift), previous=_version(read.get('previous')),
    )


def _scorers(host, reads):
    release = reads.get('release') or ''
    records = []
    for result in reads.get('results') or []:
        found = result.get('scorers') or [{}]
        records.append(_scorer(host, result['item'], found[0], release))
    return records


def _deployments(reads):
    """The host's last deployments, newest first (every scorer read returns the same history)."""
    for result in reads.get('results') or []:
        if result.get('deployments'):
            return [_version(r) for r in reversed(result['deployments'])]
    return []


def _served(read, state, tls):
    """One served model: its health (read, the answer of its /ping through its live port), and what
    it serves as the host keeps it (state, models/served.json: the live slot and each slot's
    model URI); drifting when the inventory pins another URI than the one serving (an alias moves
    with the registry: shown, never drifting)."""
    item = read['item']
    held = state.get(item['name']) if isinstance(state, dict) else None
    held = held if isinstance(held, dict) else {}
    slot = live_slot(held, tls)
    other = [s for s in SLOTS if s != slot][0]
    uri, standby = (held[s].get('uri') if isinstance(held.get(s), dict) else None for s in (slot, other))
    standby = standby if tls else None
    wanted = item.get('model_uri')
    drifting = bool(uri and wanted and not names_an_alias(wanted) and uri != wanted)
    # As every URL of the report: without a user or password in it.
    return dict(name=item['name'], port=item['port'], status=read.get('status', -1), up=read.get('status', -1) == 200,
                model_uri=_shown_url(uri) or None, slot=slot if uri else None, standby_uri=_shown_url(standby) or None,
                wanted_uri=_shown_url(wanted) or None,
                drift=['serves %s instead of %s' % (_shown_url(uri), _shown_url(wanted))] if drifting else [])


def _mlflow(reads):
    served = [_served(s, reads.get('served_state') or {}, bool(reads.get('tls'))) for s in reads.get('served') or []]
    tracking = (reads.get('tracking') or {}).get('status', -1) == 200
    healthy = tracking and all(s['up'] for s in served)
    drift = [d for s in served for d in s['drift']]
    return dict(
        tracking_port=reads.get('tracking_port'), tracking_healthy=tracking,
        served_names=[s['name'] for s in served], served_ports=[s['port'] for s in served],
        served_status=[s['status'] for s in served], healthy=healthy, drift=drift, served=served,
        red=not healthy or bool(drift),
    )


def _shown_url(url):
    """A URL as the report shows it: without a user or password in it, without a trailing '/'."""
    if not url:
        return ''
    parts = urlsplit(str(url))
    netloc = parts.netloc.rpartition('@')[2]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)).rstrip('/')


def _image_match(host, record, release, reads):
    """Whether a running scorer's image is of the Sparkflows release: its tag against the tag of
    the release in the host's scorer_image_tag_format; an image by digest (a rollback's) by the
    release the scorer was deployed for."""
    tag = tag_of(record['image']) if record['image'] else None
    tag_format = reads.get('image_tag_format') or '{release}'
    try:
        expected = expected_tag(release, tag_format)
    except ImageRuleError as e:
        expected, problem = None, str(e)
    else:
        problem = None
    if problem:
        match = False
    elif tag is None:
        match = record['release'] == release
    else:
        match = tag == expected
    allowed = not match and not problem and str(reads.get('allow_release_mismatch')).lower() in ('true', '1', 'yes')
    if problem:
        state = problem
    elif tag is None:
        state = 'by digest, deployed for release %s%s' % (
            record['release'] or 'none', '' if match else ', not %s' % release)
    else:
        state = 'tag %s%s' % (tag, '' if match else ' is not %s' % expected)
    if allowed:
        state += ' (allowed by scorer_allow_release_mismatch)'
    return dict(id=record['id'], host=host, scorer=record['name'], image=record['image'], tag=tag,
                expected_tag=expected, release=record['release'], match=match, allowed=allowed,
                state=state, red=not match and not allowed)


def _sparkflows(reads, scorer_reads, scorers):
    """The server read by sparkflows_info (registered with failed_when false: a server that does not
    answer is the module's msg) and the score workflow run by sparkflows_workflow (a failure is the
    module's msg; a check-mode preview has none and is not red); the running scorers of the hosts
    that use this server, each with whether its image is of the server's release."""
    info, workflow = reads.get('info') or {}, reads.get('workflow') or {}
    ran = bool(workflow) and not workflow.get('skipped')
    failure = workflow.get('msg') if ran else None
    # A module that failed (the server did not answer, or answered what it cannot read) left its msg.
    up = info.get('health') == 'UP' and not info.get('msg')
    url = _shown_url(reads.get('url'))
    release = info.get('release')
    images = []
    if release:
        for scorer_host in sorted(scorers):
            if _shown_url(scorer_reads[scorer_host].get('sparkflows_url')) != url:
                continue
            images.extend(_image_match(scorer_host, record, release, scorer_reads[scorer_host])
                          for record in scorers[scorer_host] if record['running'])
    mlflow = info.get('mlflow')
    return dict(
        url=url, release=info.get('release'), health=info.get('health') or 'not answering', up=up,
        health_message=None if up else (info.get('msg') or None),
        # The module masks secrets; masked again here (by name: the password's is password) so
        # that the report never shows one, whatever read it.
        mlflow=None if mlflow is None else masked(mlflow),
        mlflow_set=[dict(option=option, value=value) for option, value in masked(mlflow or {}).items() if value],
        images=images, images_match=all(not i['red'] for i in images),
        workflow=workflow.get('name') if ran else None, workflow_status=workflow.get('status') if ran else None,
        message=failure, healthy=not failure,
        red=not up or bool(failure) or any(i['red'] for i in images),
    )


def _balancer(host, reads):
    """The backend servers of one balancer (scorer_lb_info's servers): red when not UP or out of rotation."""
    servers = []
    for server in reads.get('servers') or []:
        up = server.get('status') == 'UP' and server.get('admin_state', 'ready') == 'ready'
        servers.append(dict(
            id='%s/%s/%s' % (host, server.get('backend'), server.get('server')), backend=server.get('backend'),
            server=server.get('server'), status=server.get('status'), state=server.get('admin_state'),
            weight=server.get('weight'), sessions=int(server.get('scur') or 0), requests=int(server.get('stot') or 0),
            errors_5xx=int(server.get('hrsp_5xx') or 0), response_ms=int(server.get('rtime') or 0), red=not up))
    return dict(servers=servers, healthy=not any(s['red'] for s in servers))


def fleet_report(reads):
    if not isinstance(reads, dict):
        raise AnsibleFilterError('fleet_report expects a dict of scorers, mlflow, sparkflows and balancers, got %s'
                                 % type(reads).__name__)
    scorer_reads = dict((host, r) for host, r in (reads.get('scorers') or {}).items() if r)
    scorers = dict((host, _scorers(host, r)) for host, r in scorer_reads.items())
    deployments = dict((host, _deployments(r)) for host, r in scorer_reads.items())
    mlflow = dict((host, _mlflow(r)) for host, r in (reads.get('mlflow') or {}).items() if r)
    sparkflows = dict((host, _sparkflows(r, scorer_reads, scorers))
                      for host, r in (reads.get('sparkflows') or {}).items() if r)
    balancers = dict((host, _balancer(host, r)) for host, r in (reads.get('balancers') or {}).items() if r)
    records = [s for host in sorted(scorers) for s in scorers[host]]
    red = ([s['id'] for s in records if not s['healthy']]
           + [s['id'] for s in records if s['healthy'] and s['drift']]
           + ['%s/mlflow' % host for host in sorted(mlflow) if mlflow[host]['red']]
           + ['%s/sparkflows' % host for host in sorted(sparkflows) if not sparkflows[host]['up']]
           + ['%s/workflow' % host for host in sorted(sparkflows) if not sparkflows[host]['healthy']]
           + ['%s/image/%s' % (host, i['id']) for host in sorted(sparkflows) for i in sparkflows[host]['images']
              if i['red']]
           + [s['id'] for host in sorted(balancers) for s in balancers[host]['servers'] if s['red']])
    return dict(
        generated=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        scorers=scorers, deployments=deployments, mlflow=mlflow, sparkflows=sparkflows, balancers=balancers,
        red=red,
    )


class FilterModule(object):
    def filters(self):
        return {'fleet_report': fleet_report}
