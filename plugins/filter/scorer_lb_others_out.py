# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import others_out

DOCUMENTATION = r"""
name: scorer_lb_others_out
short_description: The scorer hosts out of the balancers' rotation that this run did not take out
version_added: 0.2.0
description:
  - From what M(sparkflows.mlops.scorer_lb_info) read on every balancer, the servers drained or in
    maintenance that belong to none of the hosts of O(batch) - a host a failed run left out. Role
    M(sparkflows.mlops.scorer) takes no host out while there are any, so that no more than one batch
    of hosts is ever out of rotation.
options:
  _input:
    description:
      - The registered results of C(scorer_lb_info) looped over the balancers (C(results), each with
        C(item), the balancer's name or its C(scorer_fleet) entry, and C(servers)).
    type: list
    elements: dict
    required: true
  batch:
    description: The hosts this run takes out now (C(ansible_play_batch)).
    type: list
    elements: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Refuse to take a host out while another one is out
  ansible.builtin.assert:
    that: out | length == 0
    fail_msg: "Out of rotation already: {{ out | join(', ') }}"
  vars:
    out: "{{ [{'item': 'lb1', 'servers': []}] | sparkflows.mlops.scorer_lb_others_out(['scorer1']) }}"
"""

RETURN = r"""
_value:
  description: One C(BALANCER BACKEND/SERVER STATE) line per server out, sorted.
  type: list
  elements: str
"""


def scorer_lb_others_out(results, batch):
    if not isinstance(results, list) or isinstance(batch, str):
        raise AnsibleFilterError('scorer_lb_others_out takes the results read on the balancers and a list of hosts')
    return others_out([(_balancer(result.get('item')), line) for result in results for line in result.get('servers') or []],
                      list(batch or []))


def _balancer(item):
    """The balancer a result was read on: its loop item, a name or a scorer_fleet balancer."""
    return item.get('name') if isinstance(item, dict) else item


class FilterModule(object):
    def filters(self):
        return {'scorer_lb_others_out': scorer_lb_others_out}
