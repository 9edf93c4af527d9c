#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: haproxy_map_entry
short_description: One key of an HAProxy map, in its file and in the running HAProxy, without a reload
version_added: 0.2.0
description:
  - Sets (or removes) one key of an HAProxy map both in the map file HAProxy loads when it starts
    (O(path)) and in the running HAProxy through its runtime API (O(socket)), so that a change
    takes effect at the next request without a reload - a reload closes idle keep-alive
    connections, which a client may be sending a request on at that very moment.
  - Role M(sparkflows.mlops.mlflow_host) switches a served model's port between its blue and green
    slots so (its proxy picks each frontend's backend from a map).
  - Without the socket (HAProxy not running), only the file is written. When the running HAProxy
    has not loaded the map (its configuration does not use it yet), only the file is written too -
    its next start or reload reads it.
  - Runs on the host of the HAProxy.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.haproxy
  - sparkflows.mlops.haproxy.actiongroup_haproxy
attributes:
  check_mode:
    support: full
    details: Reads the file and the running map and reports what would change; writes and sends nothing.
  diff_mode:
    support: full
    details: The key's line in the map before and after.
  platform:
    platforms: posix
options:
  path:
    description:
      - The map file, as the HAProxy configuration names it (C(map(<path>,...))). Written 0644, atomically;
        its other lines are kept.
    type: path
    required: true
  key:
    description:
      - The key (one word).
    type: str
    required: true
  value:
    description:
      - Its value (one word); required with O(state=present).
    type: str
  state:
    description:
      - V(present) makes the key hold O(value), V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Pass model-churn's requests to its green backend from the next request on
  sparkflows.mlops.haproxy_map_entry:
    socket: /run/mlflow-proxy.sock
    path: /etc/mlflow/models/live.map
    key: model-churn
    value: model-churn-green

- name: Forget model-churn
  sparkflows.mlops.haproxy_map_entry:
    socket: /run/mlflow-proxy.sock
    path: /etc/mlflow/models/live.map
    key: model-churn
    state: absent
'''

RETURN = r'''
value:
  description: The key's value after the run (null when absent).
  returned: always
  type: str
  sample: model-churn-green
previous:
  description: The key's value in the file before the run (null when it had none).
  returned: always
  type: str
  sample: model-churn-blue
file_changed:
  description: Whether the file was (in check mode, would be) written.
  returned: always
  type: bool
runtime_changed:
  description: Whether the running HAProxy's map was (in check mode, would be) changed.
  returned: always
  type: bool
runtime:
  description:
    - V(running) - the running HAProxy holds the map; V(map not loaded) - it runs without this map;
      V(not running) - there is no socket.
  returned: always
  type: str
  sample: running
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.map_entry import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
