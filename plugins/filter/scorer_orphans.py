# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.labels import LEFTOVER_SUFFIXES

DOCUMENTATION = r"""
name: scorer_orphans
short_description: The scorers on a host whose model is no longer listed
version_added: 0.2.0
description:
  - The scorer containers (read by M(sparkflows.mlops.scorer_info), found by their labels) whose name
    is the prefix and a model that O(models) no longer lists, or lists with C(state=absent) - what
    role M(sparkflows.mlops.scorer) removes, with their model files.
  - >-
    The blue/green leftovers of a listed model (C(-candidate), C(-retired)) are not orphans; its
    next update removes them.
options:
  _input:
    description: RV(sparkflows.mlops.scorer_info#module:scorers).
    type: list
    elements: dict
    required: true
  models:
    description: C(scorer_models).
    type: list
    elements: dict
    required: true
  prefix:
    description: C(scorer_container_prefix).
    type: str
    required: true
  models_dir:
    description: C(scorer_models_dir); an orphan's model file is removed only from there.
    type: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: What to remove
  ansible.builtin.debug:
    msg: "{{ found.scorers | sparkflows.mlops.scorer_orphans(scorer_models, 'sparkflows-scorer-', '/srv/sparkflows-scorer/models') }}"
  vars:
    found: {scorers: []}
"""

RETURN = r"""
_value:
  description:
    - C(container), C(scorer) (the name after the prefix), C(leftover) (a blue/green candidate or retired
      container; its model's kept versions go with the model's own scorer) and C(model_path) (its file in
      O(models_dir), or None).
  type: list
  elements: dict
"""


def scorer_orphans(scorers, models, prefix, models_dir):
    if not isinstance(scorers, list) or not isinstance(models, list):
        raise AnsibleFilterError('scorer_orphans takes the scorers read and the scorer_models list')
    listed = set(m.get('name') for m in models if isinstance(m, dict) and m.get('state', 'present') != 'absent')
    directory = os.path.normpath(str(models_dir)) + os.sep
    orphans = []
    for scorer in scorers:
        container = scorer.get('name') or ''
        if not container.startswith(prefix):
            continue
        name = container[len(prefix):]
        leftover = next((name[:-len(suffix)] for suffix in LEFTOVER_SUFFIXES if name.endswith(suffix)), None)
        if name in listed or leftover in listed:
            continue
        path = scorer.get('model_path')
        orphans.append(dict(container=container, scorer=name, leftover=leftover is not None,
                            model_path=path if path and os.path.normpath(path).startswith(directory) else None))
    return orphans


class FilterModule(object):
    def filters(self):
        return {'scorer_orphans': scorer_orphans}
