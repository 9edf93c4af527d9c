#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: port_owners_info
short_description: Which process and systemd unit listens on each TCP port, and which ports another unit holds
version_added: 0.1.0
description:
  - Reads the listening TCP sockets (C(ss -Hltnp)) on the ports of O(ports) and O(expected), and
    for each the process and the systemd unit it runs in (from C(/proc/PID/cgroup)).
  - Reports in RV(conflicts) the ports that a unit other than the one O(expected) names listens
    on, so that a role refuses a port another service holds before installing anything.
  - Reads only.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: linux
requirements:
  - C(ss) (Debian package iproute2) on the host; root to see other users' processes.
options:
  ports:
    description:
      - TCP ports to read.
    type: list
    elements: int
    default: []
  expected:
    description:
      - The systemd unit that may listen on each port (port number to unit name, for example
        C(5000) to C(mlflow-tracking.service)); its ports are read too.
    type: dict
    default: {}
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Refuse to install MLflow on a port another service holds
  sparkflows.mlops.port_owners_info:
    expected:
      5000: mlflow-tracking.service
  register: owners
  failed_when: owners.conflicts | length > 0
'''

RETURN = r'''
owners:
  description: The listening sockets on the ports read.
  returned: success
  type: list
  elements: dict
  contains:
    port: {description: TCP port., type: int, sample: 5000}
    address: {description: Local address it listens on., type: str, sample: 0.0.0.0}
    pid: {description: Process id of the first process holding it; None when not visible., type: int}
    process: {description: That process's name., type: str, sample: gunicorn}
    unit: {description: The systemd unit of that process; None outside any., type: str, sample: mlflow-tracking.service}
    holder: {description: Who holds it in words - its unit or else its process and pid., type: str}
conflicts:
  description: The RV(owners) whose unit is not the one O(expected) names for their port, each with C(expected).
  returned: success
  type: list
  elements: dict
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.port_owners import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
