# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import backend_name
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.models import is_name

DOCUMENTATION = r"""
name: scorer_lb_backend
short_description: The balancer backend of a model
version_added: 0.2.0
description:
  - The name of the backend (and frontend) the balancers serve a model with.
options:
  _input:
    description: The model name (an entry's C(name) in C(scorer_models)).
    type: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The backend of churn-model
  ansible.builtin.debug:
    msg: "{{ 'churn-model' | sparkflows.mlops.scorer_lb_backend }}"
"""

RETURN = r"""
_value:
  description: The backend name.
  type: str
"""


def scorer_lb_backend(model):
    if not is_name(model):
        raise AnsibleFilterError('%r is not a model name (letters, digits, . _ -)' % (model,))
    return backend_name(model)


class FilterModule(object):
    def filters(self):
        return {'scorer_lb_backend': scorer_lb_backend}
