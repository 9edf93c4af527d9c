#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sparkflows_info
short_description: Check a Sparkflows server, its release and user, and optionally run a score workflow
version_added: 0.1.0
description:
  - Reads whether the Sparkflows server is up (C(/healthcheck)), its release and build
    information, the current user and whether it is an administrator, and the MLOps
    configuration (secrets masked; administrators only).
  - With O(workflow), runs that score workflow and waits, bounded by O(workflow_timeout), until
    it is COMPLETED or FAILED. This is the score-workflow serving mode's check. Running a
    workflow changes no configuration, so the module always reports RV(ignore:changed=false);
    in check mode the workflow is looked up but not run.
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The score workflow of O(workflow) is looked up but not run.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: all
options:
  configuration_prefixes:
    description:
      - Return the configuration keys that start with one of these prefixes.
    type: list
    elements: str
    default: ['mlops.']
  workflow:
    description:
      - Name of a score workflow to run, found with C(GET /api/v1/workflows/name/{name}).
    type: str
  workflow_parameters:
    description:
      - Program parameters passed to the workflow execution.
    type: str
    default: ''
  workflow_timeout:
    description:
      - Seconds to wait for the workflow execution to finish.
    type: int
    default: 600
  workflow_poll_interval:
    description:
      - Seconds between two reads of the execution status.
    type: float
    default: 5
  fail_on_workflow_failure:
    description:
      - Fail when the workflow does not end COMPLETED within O(workflow_timeout).
    type: bool
    default: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Check the Sparkflows server and learn its release
  sparkflows.mlops.sparkflows_info:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
  register: sparkflows

- name: Show the release the scorer image must match
  ansible.builtin.debug:
    msg: "Sparkflows {{ sparkflows.release }} is {{ sparkflows.health }}"

- name: Run the score workflow and wait for it
  sparkflows.mlops.sparkflows_info:
    api_url: http://127.0.0.1:8080
    api_username: admin
    api_password: "{{ sparkflows_password }}"
    workflow: score-churn
    workflow_timeout: 300
    workflow_poll_interval: 1
'''

RETURN = r'''
health:
  description: The status the server reports at C(/healthcheck).
  returned: success
  type: str
  sample: UP
release:
  description: The Sparkflows release, from O(ignore:release_info).
  returned: success
  type: str
  sample: 3.1.0
release_info:
  description: The answer of C(GET /api/v1/app/release-info).
  returned: success
  type: dict
about:
  description: The answer of C(GET /api/v1/main/about).
  returned: success
  type: dict
user:
  description: The answer of C(GET /api/v1/users/user-info).
  returned: success
  type: dict
is_admin:
  description: Whether the user is an administrator.
  returned: success
  type: bool
configuration:
  description:
    - Configuration keys matching O(configuration_prefixes), secret values masked.
    - V(null) when the user is not an administrator.
  returned: success
  type: dict
  sample: {"mlops.mlflow.trackingURL": "http://mlflow:5000", "mlops.mlflow.password": "********"}
workflow:
  description: The score workflow run.
  returned: when O(workflow) is set
  type: dict
  contains:
    name:
      description: Workflow name.
      type: str
      returned: always
    id:
      description: Workflow id.
      type: int
      returned: always
    execution_id:
      description: Execution id; V(null) in check mode.
      type: int
      returned: always
    status:
      description: Last execution status (C(COMPLETED), C(FAILED), C(RUNNING)...).
      type: str
      returned: always
    succeeded:
      description: Whether the execution ended C(COMPLETED); V(null) in check mode.
      type: bool
      returned: always
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
