# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.plan import PlanError, rollback_items

DOCUMENTATION = r"""
name: scorer_rollback_items
short_description: What a rollback runs - each scorer's previous version that served
version_added: 0.2.0
description:
  - For each model asked (every listed model when none is), the version it ran before its current
    one, from the host's deployment history read by M(sparkflows.mlops.scorer_info) - its kept
    model file, model id and sha256, image digest and Sparkflows release - as the items role
    M(sparkflows.mlops.scorer) runs scorers from (the same as the C(scorer_run_items) filter's).
  - Refused as a whole, naming every scorer, when a model is not listed, its scorer does not
    exist, no earlier version of it was kept (deployed before the history existed, or pruned), or
    no image digest was recorded for it.
options:
  _input:
    description: RV(sparkflows.mlops.scorer_info#module:scorers), read with a history path.
    type: list
    elements: dict
    required: true
  models:
    description: The listed models (C(scorer_models) without those of C(state=absent)).
    type: list
    elements: dict
    required: true
  selection:
    description: The model names to roll back; empty for every listed model.
    type: list
    elements: str
    default: []
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: What a rollback of churn-model would run
  ansible.builtin.debug:
    msg: "{{ read.scorers | sparkflows.mlops.scorer_rollback_items(scorer_models, ['churn-model']) }}"
  vars:
    read: {scorers: []}
    scorer_models: []
  when: read.scorers | length > 0
"""

RETURN = r"""
_value:
  description:
    - One item per scorer, the model's C(name), C(host_port), C(memory), C(cpus) and C(sample) (those
      its entry sets), C(model_path), C(model_id), C(model_sha256), C(image_digest) and C(release).
  type: list
  elements: dict
"""


def scorer_rollback_items(scorers, models, selection=None):
    try:
        return rollback_items(scorers, models, selection)
    except PlanError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_rollback_items': scorer_rollback_items}
