# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: scorer_model_selectors
short_description: What selects each model of a scorer host in the Sparkflows model repository
version_added: 0.2.0
description:
  - The models of a host's C(scorer_models) (but those of C(state=absent)), each as
    M(sparkflows.mlops.sparkflows_model_info) takes it - keyed by its name, with its
    C(model_id), C(model_uuid) or C(model_name), C(stage) and C(file_type) and nothing else (no
    C(env), no ports). Role C(scorer) reads those of every host once, the same ones once.
options:
  _input:
    description: C(scorer_models).
    type: list
    elements: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The models of this host, as sparkflows_model_info takes them
  ansible.builtin.debug:
    msg: "{{ scorer_models | sparkflows.mlops.scorer_model_selectors }}"
"""

RETURN = r"""
_value:
  description: C(key) (the model's name) and the selector fields the entry sets.
  type: list
  elements: dict
"""

SELECTOR_FIELDS = ('model_id', 'model_uuid', 'model_name', 'stage', 'file_type')


def scorer_model_selectors(models):
    if not isinstance(models, list):
        raise AnsibleFilterError('scorer_model_selectors takes the scorer_models list')
    selectors = []
    for model in models:
        if not isinstance(model, dict) or model.get('state', 'present') == 'absent':
            continue
        selector = dict(key=model.get('name'))
        selector.update((field, model[field]) for field in SELECTOR_FIELDS if model.get(field) is not None)
        selectors.append(selector)
    return selectors


class FilterModule(object):
    def filters(self):
        return {'scorer_model_selectors': scorer_model_selectors}
