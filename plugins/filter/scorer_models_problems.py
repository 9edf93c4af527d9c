# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.models import host_problems, problems

DOCUMENTATION = r"""
name: scorer_models_problems
short_description: What is wrong with a scorer_models list
version_added: 0.2.0
description:
  - Each entry needs a name of letters, digits, C(.), C(_) and C(-); one that is served (no
    C(state=absent)) also exactly one of C(model_id), C(model_uuid) or C(model_name) (C(stage) only
    with C(model_name)) and a C(host_port), and with balancers an C(lb_port). Names and host ports
    are unique on a host. A C(memory) is a size such as C(512m) or C(2g), a C(cpus) 0 (no limit) or
    more.
  - With O(host), the problems of that scorer host's inputs, each line starting with its name, an
    unset O(image) and an empty list among them. Role M(sparkflows.mlops.scorer) refuses those of every
    host of a run together, before any host changes.
options:
  _input:
    description: C(scorer_models).
    type: list
    elements: dict
    required: true
  with_balancers:
    description: Whether the models are served behind balancers (each then needs an C(lb_port)).
    type: bool
    default: false
  memory:
    description: C(scorer_memory), the memory limit of every scorer without its own; empty for none.
    type: raw
    default: ""
  cpus:
    description: C(scorer_cpus), the CPU limit of every scorer without its own; 0 for none.
    type: raw
    default: 0
  host:
    description: The scorer host whose inputs these are; given, O(image) is checked and each line names the host.
    type: str
  image:
    description: C(scorer_image), checked with O(host).
    type: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Refuse a bad list of models
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ [{'name': 'churn-model', 'model_id': 101, 'host_port': 8081}] | sparkflows.mlops.scorer_models_problems }}"
"""

RETURN = r"""
_value:
  description: One line per problem; empty when the list is right.
  type: list
  elements: str
"""


def scorer_models_problems(models, with_balancers=False, memory='', cpus=0, host=None, image=None):
    if host:
        return host_problems(host, models, image, bool(with_balancers), memory, cpus)
    return problems(models, bool(with_balancers), memory, cpus)


class FilterModule(object):
    def filters(self):
        return {'scorer_models_problems': scorer_models_problems}
