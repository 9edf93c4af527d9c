# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_lb import LbRuleError, backends

DOCUMENTATION = r"""
name: scorer_lb_backends
short_description: The balancer backends of the scorer hosts, one per model
version_added: 0.2.0
description:
  - Which scorer hosts serve which model, and where, as role M(sparkflows.mlops.scorer_lb) configures
    the balancers - from the inventory, so every balancer gets the same backends.
  - Each model of a host's C(scorer_models) (but those with C(state=absent)) is a server of the
    model's backend at the host's C(scorer_lb_address) (else its C(ansible_host), else its name)
    and the model's C(host_port); the model's C(lb_port) is the port of its URL and must be the
    same on every host that serves it. Two models on one C(lb_port) are refused.
options:
  _input:
    description: The scorer hosts (inventory names).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars), to read each host's C(scorer_models), C(scorer_lb_address) and C(ansible_host).
    type: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The backends of the scorers group
  ansible.builtin.debug:
    msg: "{{ groups['scorers'] | sparkflows.mlops.scorer_lb_backends(hostvars) }}"
"""

RETURN = r"""
_value:
  description:
    - One per model, by model name - C(name) (the backend and frontend name), C(model), C(port)
      (its URL's port) and C(servers), each with C(name) (the host), C(address) and C(port).
  type: list
  elements: dict
"""


def scorer_lb_backends(hosts, hostvars):
    if isinstance(hosts, str):
        raise AnsibleFilterError('scorer_lb_backends takes a list of scorer hosts, got the text %r' % hosts)
    try:
        return backends([(host, hostvars[host].get('scorer_models') or [],
                          hostvars[host].get('scorer_lb_address') or hostvars[host].get('ansible_host') or host)
                         for host in hosts or []])
    except KeyError as e:
        raise AnsibleFilterError('scorer_lb_backends: no host %s in hostvars' % e)
    except LbRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_lb_backends': scorer_lb_backends}
