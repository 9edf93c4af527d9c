#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: scorer_lb_info
short_description: Read the backends of a scorer balancer, their servers' states and statistics
version_added: 0.2.0
description:
  - Reads every backend server of an HAProxy balancer through its runtime API on a local socket
    (C(show stat) and C(show servers state)) - its administrative state and weight, the status
    of its health checks, its sessions, and the counters a canary is judged by.
  - Reads only. Runs on the balancer (C(delegate_to)).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.haproxy
  - sparkflows.mlops.haproxy.actiongroup_haproxy
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: posix
options:
  backends:
    description:
      - Only these backends; unset, every backend.
    type: list
    elements: str
  server:
    description:
      - Only the servers of this name (a scorer host's inventory name).
    type: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
seealso:
  - module: sparkflows.mlops.scorer_lb_server
'''

EXAMPLES = r'''
- name: Read the balancer
  sparkflows.mlops.scorer_lb_info:
  delegate_to: lb1
  register: balancer

- name: Show each server's status
  ansible.builtin.debug:
    msg: "{{ balancer.servers | map(attribute='backend') | zip(balancer.servers | map(attribute='status')) }}"
'''

RETURN = r'''
servers:
  description: The backend servers read.
  returned: success
  type: list
  elements: dict
  contains:
    backend: {description: Backend name., type: str, sample: scorer_churn-model}
    server: {description: Server name., type: str, sample: scorer1}
    address: {description: Address and port the balancer sends its requests to., type: str, sample: '10.0.0.21:8081'}
    status: {description: 'The balancer''s status, for example C(UP), C(DOWN), C(UP 1/2), C(DRAIN), C(MAINT).', type: str}
    admin_state: {description: 'Administrative state - ready, drain or maint.', type: str}
    weight: {description: Weight it serves at now., type: int}
    initial_weight: {description: Weight of the configuration., type: int}
    operational: {description: Whether its health checks see it running., type: bool}
    check_status: {description: 'Last health check result, for example C(L7OK) or C(L4CON).', type: str}
    scur: {description: Requests in flight., type: int}
    qcur: {description: Requests queued., type: int}
    stot: {description: Requests sent to it since the balancer started., type: int}
    req_tot: {description: 'HTTP requests it answered since the balancer started (the samples of C(rtime)).', type: int}
    hrsp_2xx: {description: Its 2xx answers., type: int}
    hrsp_4xx: {description: Its 4xx answers., type: int}
    hrsp_5xx: {description: Its 5xx answers., type: int}
    econ: {description: Connections to it that failed., type: int}
    eresp: {description: 'Answers from it that failed (closed, aborted).', type: int}
    wretr: {description: Connection retries., type: int}
    wredis: {description: Requests redispatched to another server., type: int}
    qtime: {description: Average queue time in ms over its last 1024 requests., type: int}
    ctime: {description: Average connect time in ms over its last 1024 requests., type: int}
    rtime: {description: Average response time in ms over its last 1024 requests., type: int}
    ttime: {description: Average total time in ms over its last 1024 requests., type: int}
    chkfail: {description: Failed health checks., type: int}
    chkdown: {description: Transitions to DOWN., type: int}
    lastchg: {description: Seconds since its last status change., type: int}
backends:
  description: Per backend, how many servers it has and how many are C(UP).
  returned: success
  type: dict
  sample: {scorer_churn-model: {servers: 2, up: 2}}
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
