#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sparkflows_workflow
short_description: Run a Sparkflows score workflow and wait for its end
version_added: 0.1.0
description:
  - Runs a workflow of the Sparkflows server (C(POST /api/v1/workflow/execute)) - the score
    workflow of the first serving mode - found by O(name) or given by O(workflow_id), and waits,
    bounded by O(timeout), until its execution ends.
  - Fails when the execution ends C(FAILED), C(KILLED) or C(TIMEOUT) (with the server's message,
    when it gives one), or is still running after O(timeout). An execution state the collection
    does not recognise fails, naming the endpoint and what came.
  - Every run starts an execution, so the module always reports RV(ignore:changed=true).
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The workflow is looked up by O(name) but not run.
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  name:
    description:
      - Name of the workflow, found with C(GET /api/v1/workflows/name/{name}).
      - Exactly one of O(name) and O(workflow_id).
    type: str
  workflow_id:
    description:
      - Id of the workflow.
    type: int
  parameters:
    description:
      - Program parameters of the execution.
    type: str
    default: ''
  wait:
    description:
      - Wait for the execution to end. With V(false), the state right after the start is returned.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the execution to end.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads of the execution state.
    type: float
    default: 5
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Run the score workflow and wait for it
  sparkflows.mlops.sparkflows_workflow:
    api_url: http://127.0.0.1:8080
    api_username: admin
    api_password: "{{ sparkflows_password }}"
    name: score-churn
    timeout: 300
    poll_interval: 1
  register: scored

- name: Show how the execution ended
  ansible.builtin.debug:
    msg: "Execution {{ scored.execution_id }} ended {{ scored.status }}"
'''

RETURN = r'''
name:
  description: The workflow's name, when given.
  returned: always
  type: str
  sample: score-churn
workflow_id:
  description: The workflow's id.
  returned: always
  type: int
  sample: 11
execution_id:
  description: The execution's id; V(null) in check mode.
  returned: always
  type: int
  sample: 162
status:
  description: The last execution state (C(COMPLETED), C(FAILED), C(RUNNING)...); V(null) in check mode.
  returned: always
  type: str
  sample: COMPLETED
message:
  description: The server's message about the execution, when its status answer carries one.
  returned: always
  type: str
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.workflow import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
