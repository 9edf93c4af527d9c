#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: scorer_lb_server
short_description: Take a scorer host out of a balancer's rotation, or put it back, and wait
version_added: 0.2.0
description:
  - Sets the server of a scorer host in the backends of one HAProxy balancer (the ones role
    M(sparkflows.mlops.scorer_lb) wrote, one per model) through its runtime API on a local socket.
  - V(drain) stops new requests to it and waits until the requests in flight ended; V(maint) drains,
    then takes it out (health checks stop); V(ready) puts it back, at O(weight) when given, and
    waits until the balancer's own health checks see it C(UP).
  - Every wait is bounded by O(wait_timeout); a server that does not get there fails the task
    naming each backend's status and sessions, and is left as it is.
  - Runs on the balancer (C(delegate_to)); the runtime API is never reached over the network.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.haproxy
  - sparkflows.mlops.haproxy.actiongroup_haproxy
attributes:
  check_mode:
    support: full
    details: Reads the servers and reports what would be set; sets and waits for nothing.
  diff_mode:
    support: full
    details: The state and weight of each backend's server, before and after.
  platform:
    platforms: posix
options:
  server:
    description:
      - The server name, the scorer host's inventory name in the balancer configuration.
    type: str
    required: true
  backends:
    description:
      - The backends to act in; unset, every backend that holds O(server).
      - A backend named here that does not hold O(server) fails the task.
    type: list
    elements: str
  state:
    description:
      - V(ready) in rotation, V(drain) no new requests, V(maint) out of rotation.
    type: str
    required: true
    choices: [ready, drain, maint]
  weight:
    description:
      - The weight to serve at, 0 to 256, with O(state=ready) (role M(sparkflows.mlops.scorer_lb)
        configures 100, so 10 gives a server about a tenth of the share of another).
      - Unset, the weight of the configuration (what a canary's smaller weight returns to).
    type: int
  wait:
    description:
      - Wait until the sessions ended (V(drain), V(maint)) or the server is C(UP) (V(ready)).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most.
    type: float
    default: 120
author:
  - sparkflows.mlops maintainers (@sparkflows)
seealso:
  - module: sparkflows.mlops.scorer_lb_info
'''

EXAMPLES = r'''
- name: Drain scorer1 on the balancer and wait for its requests to end
  sparkflows.mlops.scorer_lb_server:
    server: scorer1
    state: maint
    wait_timeout: 60
  delegate_to: lb1

- name: Put scorer1 back at a tenth of the weight, once the balancer sees it UP
  sparkflows.mlops.scorer_lb_server:
    server: scorer1
    state: ready
    weight: 10
  delegate_to: lb1
'''

RETURN = r'''
servers:
  description: The server in each backend after the task.
  returned: success
  type: list
  elements: dict
  contains:
    backend: {description: Backend name., type: str, sample: scorer_churn-model}
    server: {description: Server name., type: str, sample: scorer1}
    state: {description: 'Administrative state - ready, drain or maint.', type: str}
    weight: {description: Weight it serves at., type: int, sample: 100}
    status: {description: 'The balancer''s status of it, for example C(UP), C(DOWN), C(DRAIN), C(MAINT).', type: str}
    sessions: {description: Requests in flight or queued., type: int}
actions:
  description: What was set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ['scorer_churn-model/scorer1: drain', 'scorer_churn-model/scorer1: maint']
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.server import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
