# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: deployment_actor
short_description: Who runs this deployment - the AWX/AAP job, or the controller's user
version_added: 0.2.0
description:
  - C(AWX job ID (launched by USER)) when the run is an AWX or AAP job (the C(awx_job_id) or
    C(tower_job_id) and C(awx_user_name) variables those set), else C(USER@HOST) of the controller.
  - "When an Event-Driven Ansible rule started the run (the C(ansible_eda) variable
    C(ansible-rulebook) and the EDA controller pass to the playbook or job template), followed by
    C(, triggered by event SOURCE (rule RULE of ruleset RULESET): MODEL version VERSION), the
    model and version as the collection's event sources tell them."
  - Recorded with each change in the scorer hosts' deployment history (M(sparkflows.mlops.scorer_deployment)).
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Who deploys
  ansible.builtin.debug:
    msg: "{{ lookup('sparkflows.mlops.deployment_actor') }}"
"""

RETURN = r"""
_raw:
  description: One text naming who runs the deployment.
  type: list
  elements: str
"""

import getpass
import socket

from ansible.plugins.lookup import LookupBase


# The variables the lookup templates (the AWX/AAP job's); ansible_eda is read as it is, never
# templated: its event is what the event's sender wrote (a model's tag, a description).
VARIABLES = ('awx_job_id', 'tower_job_id', 'awx_user_name', 'tower_user_name')


def actor(variables):
    job = variables.get('awx_job_id') or variables.get('tower_job_id')
    if job:
        user = variables.get('awx_user_name') or variables.get('tower_user_name')
        who = 'AWX job %s%s' % (job, ' (launched by %s)' % user if user else '')
    else:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = 'unknown'
        who = '%s@%s' % (user, socket.gethostname())
    trigger = triggered_by(variables.get('ansible_eda'))
    return who + (', ' + trigger if trigger else '')


def triggered_by(eda):
    """What an Event-Driven Ansible rule that started the run tells of it: the event's source,
    the rule and ruleset, and the model and version of the collection's events (mlflow: the
    mlflow_webhook source; sparkflows_model: the sparkflows_models source), when the rule matched
    one event (a rule of several conditions passes `events`: the rule is named, no model). None
    without one. Values are formatted as text, never templated."""
    if not isinstance(eda, dict) or not eda.get('rule'):
        return None
    event = eda.get('event') if isinstance(eda.get('event'), dict) else {}
    meta = event.get('meta') if isinstance(event.get('meta'), dict) else {}
    source = meta['source'].get('name') if isinstance(meta.get('source'), dict) else None
    text = 'triggered by event%s (rule %s of ruleset %s)' % (
        ' ' + source if source else '', eda['rule'], eda.get('ruleset'))
    model = event.get('sparkflows_model') or event.get('mlflow')
    if isinstance(model, dict) and model.get('name'):
        text += ': %s%s%s' % (model['name'], ' version %s' % model['version'] if model.get('version') else '',
                              ' alias %s' % model['alias'] if model.get('alias') else '')
    return text


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        job = dict((key, self._templar.template(value)) for key, value in (variables or {}).items() if key in VARIABLES)
        return [actor(dict(job, ansible_eda=(variables or {}).get('ansible_eda')))]
