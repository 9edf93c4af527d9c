# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.served_slots import pinned_uris, plan

DOCUMENTATION = r"""
name: mlflow_host_served_plan
short_description: Which slot of each served model starts and which one serves (blue/green)
version_added: 0.2.0
description:
  - Role M(sparkflows.mlops.mlflow_host)'s plan for its served models. With TLS in front each model
    has two slots; a new version (or port) starts in the idle slot and the proxy switches to it once
    it answers, the slot that served before kept running for a switch back. A version the idle slot
    already serves is a switch only. Without TLS the one slot restarts in place.
options:
  _input:
    description:
      - C(models) (C(name), C(model_uri), C(port) and C(sample) of each present, as the role takes them),
        C(resolved) (the results of M(sparkflows.mlops.mlflow_model_version_info) looped over them - a
        registry URI is served pinned to the version it names now), C(state) (what the
        host keeps, C(models/served.json); empty when none), C(slots) (of P(sparkflows.mlops.mlflow_host_ports#filter)),
        C(tls), C(redeploy) (the unit or the client environment changed - every model starts anew)
        and C(absent) (the models marked absent).
    type: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The slot churn serves from after the run
  ansible.builtin.debug:
    msg: >-
      {{ ({'models': [{'name': 'churn', 'model_uri': 'models:/churn/2', 'port': 5001}],
           'state': {'churn': {'live': 'blue', 'blue': {'uri': 'models:/churn/1', 'port': 5001}}},
           'slots': {'churn': {'blue': {'instance': 'churn', 'port': 15001}, 'green': {'instance': 'churn:green', 'port': 25001}}},
           'tls': true} | sparkflows.mlops.mlflow_host_served_plan).models[0].live }}
"""

RETURN = r"""
_value:
  description:
    - C(models), one per model - C(name), C(uri), C(deploy) (the slot started, or null), C(instance)
      and C(port) (that slot's), C(live), C(live_instance), C(live_port) (the slot serving after the
      run), C(previous) (the one serving before), C(switch), C(frontend) and C(live_backend) (the
      proxy's map entry that makes the live slot serve), C(started) (instances kept running)
      , C(stopped) (instances to stop), C(on_trial) (the slot to serve serves anew - started, or
      switched to - and is stopped when a check fails), C(unstarted) and C(unhealthy) (what a failed
      start or health check of the slot to serve means, in a sentence), C(sample) (the body that slot
      must score, or null) and C(unscored) (what failing to means) - C(removed) and
      C(removed_frontends) (the instances and map entries of the models marked absent), C(state),
      what the host keeps after the run, and C(state_if_failed), what it keeps instead when a check
      fails (each previous slot serving, the slot on trial holding nothing known, and no slot after
      a redeploy).
  type: dict
"""


def _sample(model):
    """A served model's sample as the body to post: a mapping, or JSON text of one (the role's
    argument spec takes both); None without one."""
    sample = model.get('sample')
    if isinstance(sample, str) and sample.strip():
        try:
            sample = json.loads(sample)
        except ValueError:
            sample = None
        if not isinstance(sample, dict):
            raise AnsibleFilterError('mlflow_host_served_plan: served model %s: sample must be a mapping (MLflow\'s scoring '
                                     'input), or JSON text of one' % model.get('name'))
    return dict(sample) if sample else None


def mlflow_host_served_plan(inputs):
    if not isinstance(inputs, dict) or not isinstance(inputs.get('slots'), dict):
        raise AnsibleFilterError('mlflow_host_served_plan takes a dict with models, state, slots, tls and redeploy')
    try:
        pinned = pinned_uris(inputs.get('resolved'))
        models = [dict(name=model['name'], uri=pinned.get(model['name'], model['model_uri']), port=model['port'],
                       sample=_sample(model)) for model in inputs.get('models') or []]
        return plan(models, inputs.get('state') or {}, inputs['slots'], bool(inputs.get('tls')), bool(inputs.get('redeploy')),
                    [model['name'] for model in inputs.get('absent') or []])
    except (KeyError, TypeError, ValueError) as error:
        raise AnsibleFilterError('mlflow_host_served_plan: %s' % error)


class FilterModule(object):
    def filters(self):
        return {'mlflow_host_served_plan': mlflow_host_served_plan}
