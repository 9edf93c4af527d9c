# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report of playbooks/report.yml, shaped from what its plays read on each host."""

from __future__ import annotations

import datetime

from ansible.errors import AnsibleFilterError

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
    not answer; a Sparkflows host when its score workflow did not complete.
options:
  _input:
    description:
      - C(scorers), C(mlflow) and C(sparkflows), each a dict of host name to what the report's
        play read there (see C(playbooks/report.yml)); a host with nothing read is left out.
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
    - C(generated) (UTC, ISO 8601 with its offset), C(scorers) (host to a list of scorer records),
      C(mlflow) and C(sparkflows) (host to a record), and C(red), the ids of what is red
      (C(host/scorer), C(host/mlflow), C(host/workflow)).
  type: dict
"""


def _scorer(host, model, read, expected_release):
    """One scorer record: read is scorer_info's answer for the model's container."""
    check = read.get('score') or read.get('health') or {}
    status = check.get('status') or 0
    drift = []
    if read.get('exists') and (read.get('release') or '') != expected_release:
        drift.append('release %s instead of %s' % (read.get('release') or 'none', expected_release))
    if read.get('exists') and 'model_id' in model and (read.get('model_id') or '') != str(model['model_id']):
        drift.append('model %s instead of %s' % (read.get('model_id') or 'none', model['model_id']))
    return dict(
        name=model['name'], id='%s/%s' % (host, model['name']),
        container=read.get('name') if read.get('exists') else '',
        running=bool(read.get('running')), image=read.get('image') or '', release=read.get('release') or '',
        model_id=read.get('model_id') or '', model_sha256=read.get('model_sha256') or '',
        host_port=model.get('host_port'), score_status=status,
        score_ms=round(check['seconds'] * 1000, 1) if status else None,
        prediction=(check.get('response') or '')[:200] if status else '',
        expected_release=expected_release, drift=drift, healthy=bool(read.get('healthy')),
    )


def _scorers(host, reads):
    release = reads.get('release') or ''
    records = []
    for result in reads.get('results') or []:
        found = result.get('scorers') or [{}]
        records.append(_scorer(host, result['item'], found[0], release))
    return records


def _mlflow(reads):
    served = reads.get('served') or []
    statuses = [s.get('status', -1) for s in served]
    tracking = (reads.get('tracking') or {}).get('status', -1) == 200
    return dict(
        tracking_port=reads.get('tracking_port'), tracking_healthy=tracking,
        served_names=[s['item']['name'] for s in served], served_ports=[s['item']['port'] for s in served],
        served_status=statuses, healthy=tracking and all(status == 200 for status in statuses),
    )


def _sparkflows(reads):
    """The server read by sparkflows_info and the score workflow run by sparkflows_workflow
    (registered with failed_when false: a failure is the module's msg; a check-mode preview
    has none and is not red)."""
    info, workflow = reads.get('info') or {}, reads.get('workflow') or {}
    ran = bool(workflow) and not workflow.get('skipped')
    failure = workflow.get('msg') if ran else None
    return dict(
        release=info.get('release'), health=info.get('health'),
        workflow=workflow.get('name') if ran else None, workflow_status=workflow.get('status') if ran else None,
        message=failure, healthy=not failure,
    )


def fleet_report(reads):
    if not isinstance(reads, dict):
        raise AnsibleFilterError('fleet_report expects a dict of scorers, mlflow and sparkflows, got %s'
                                 % type(reads).__name__)
    scorers = dict((host, _scorers(host, r)) for host, r in (reads.get('scorers') or {}).items() if r)
    mlflow = dict((host, _mlflow(r)) for host, r in (reads.get('mlflow') or {}).items() if r)
    sparkflows = dict((host, _sparkflows(r)) for host, r in (reads.get('sparkflows') or {}).items() if r)
    records = [s for host in sorted(scorers) for s in scorers[host]]
    red = ([s['id'] for s in records if not s['healthy']]
           + [s['id'] for s in records if s['healthy'] and s['drift']]
           + ['%s/mlflow' % host for host in sorted(mlflow) if not mlflow[host]['healthy']]
           + ['%s/workflow' % host for host in sorted(sparkflows) if not sparkflows[host]['healthy']])
    return dict(
        generated=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        scorers=scorers, mlflow=mlflow, sparkflows=sparkflows, red=red,
    )


class FilterModule(object):
    def filters(self):
        return {'fleet_report': fleet_report}
