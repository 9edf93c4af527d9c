# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.plan import PlanError, deploy_items

DOCUMENTATION = r"""
name: scorer_run_items
short_description: What a deployment runs - one item per model fetched
version_added: 0.2.0
description:
  - From the results of M(sparkflows.mlops.sparkflows_model_fetch) over role
    M(sparkflows.mlops.scorer)'s models, the items the role runs scorers from (the same as the
    C(scorer_rollback_items) filter's), without the models' C(env).
options:
  _input:
    description: The registered results of the fetch loop (C(results)), one per model.
    type: list
    elements: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: What the deployment runs
  ansible.builtin.debug:
    msg: "{{ fetched.results | sparkflows.mlops.scorer_run_items }}"
  vars:
    fetched:
      results:
        - {item: {name: churn-model, host_port: 8081}, path: /var/lib/sparkflows-scorer/models/churn-model.zip, model_id: '101'}
"""

RETURN = r"""
_value:
  description:
    - One item per model, its C(name), C(host_port), C(memory), C(cpus) and C(sample) (those its entry
      sets), C(model_path), C(model_id) and C(model_sha256).
  type: list
  elements: dict
"""


def scorer_run_items(fetched):
    try:
        return deploy_items(fetched)
    except PlanError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_run_items': scorer_run_items}
