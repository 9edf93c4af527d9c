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


def actor(variables):
    job = variables.get('awx_job_id') or variables.get('tower_job_id')
    if job:
        user = variables.get('awx_user_name') or variables.get('tower_user_name')
        return 'AWX job %s%s' % (job, ' (launched by %s)' % user if user else '')
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = 'unknown'
    return '%s@%s' % (user, socket.gethostname())


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        return [actor(dict((key, self._templar.template(value)) for key, value in (variables or {}).items()
                           if key in ('awx_job_id', 'tower_job_id', 'awx_user_name', 'tower_user_name')))]
