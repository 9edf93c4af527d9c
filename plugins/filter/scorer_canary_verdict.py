# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import canary_verdict

DOCUMENTATION = r"""
name: scorer_canary_verdict
short_description: Whether a canary scorer host passed its window on the balancers
version_added: 0.2.0
description:
  - Compares the canary's server lines on every balancer (M(sparkflows.mlops.scorer_lb_info)) at the
    start and the end of its window. It fails when fewer than C(min_requests) requests reached it,
    when more than C(max_5xx_ratio) of them answered 5xx, when more than C(max_connection_errors)
    connections or answers failed, or when its mean response time over the window is over
    C(max_response_ms) on any balancer. The balancers report only an average over a server's last
    1024 requests (C(rtime), whole milliseconds); the window's mean is recovered from it and the
    requests answered in between (C(req_tot)), so the requests before the window do not hide a slow
    canary. Both lists are the same reads in the same order (every balancer, then its backends);
    lines that do not pair up fail the window.
options:
  _input:
    description: The canary's server lines at the start of the window.
    type: list
    elements: dict
    required: true
  after:
    description: Its server lines at the end of the window.
    type: list
    elements: dict
    required: true
  thresholds:
    description: C(max_5xx_ratio) (0.01), C(max_connection_errors) (0), C(max_response_ms) (1000), C(min_requests) (0).
    type: dict
    default: {}
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Judge the canary
  ansible.builtin.set_fact:
    verdict: "{{ window_start | sparkflows.mlops.scorer_canary_verdict(window_end, {'max_5xx_ratio': 0.05}) }}"
  vars:
    window_start: [{backend: scorer_churn-model, server: scorer1, stot: 100, req_tot: 100, hrsp_5xx: 0, econ: 0, eresp: 0, rtime: 2}]
    window_end: [{backend: scorer_churn-model, server: scorer1, stot: 300, req_tot: 300, hrsp_5xx: 1, econ: 0, eresp: 0, rtime: 3}]
"""

RETURN = r"""
_value:
  description: C(passed), C(reasons) (why not), C(requests), C(errors_5xx), C(connection_errors), C(response_ms).
  type: dict
"""


def scorer_canary_verdict(before, after, thresholds=None):
    if not isinstance(before, list) or not isinstance(after, list):
        raise AnsibleFilterError('scorer_canary_verdict compares two lists of server lines')
    try:
        return canary_verdict(before, after, thresholds)
    except (TypeError, ValueError) as e:
        raise AnsibleFilterError('scorer_canary_verdict: %s' % e)


class FilterModule(object):
    def filters(self):
        return {'scorer_canary_verdict': scorer_canary_verdict}
