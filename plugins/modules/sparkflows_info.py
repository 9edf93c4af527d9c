#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sparkflows_info
short_description: Check a Sparkflows server, its release, user and MLOps configuration
version_added: 0.1.0
description:
  - Reads whether the Sparkflows server is up (C(/healthcheck)), its release and build
    information, the current user and whether it is an administrator, and the MLOps
    configuration (secrets masked; administrators only). Changes nothing.
  - With O(mlflow=true), also the MLflow configuration the server holds
    (Administration > Configuration > MLflow), by the option names of
    M(sparkflows.mlops.mlflow_config) and through the same key map, the password masked.
    The fleet report (C(playbooks/report.yml)) reads it so.
  - An answer of a shape the collection does not recognise (see the Sparkflows API contract in
    the collection's docs) fails, naming the endpoint and what came; a release is never guessed.
  - Runs no workflow; M(sparkflows.mlops.sparkflows_workflow) does.
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
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
  mlflow:
    description:
      - Also return RV(mlflow), the MLflow configuration the server holds (administrators only).
    type: bool
    default: false
  mlflow_key_map:
    description:
      - The configuration keys of the MLflow options, as O(sparkflows.mlops.mlflow_config#module:key_map)
        of M(sparkflows.mlops.mlflow_config) (role C(sparkflows_mlflow)'s C(sparkflows_mlflow_key_map)),
        option name to key, replacing the default key of each option named. An unknown option name
        fails before any request.
      - The key of the password is masked in RV(configuration) too, whatever its name.
    type: dict
    default: {}
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

- name: Read the MLflow configuration Sparkflows holds (the password masked)
  sparkflows.mlops.sparkflows_info:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    mlflow: true
    mlflow_key_map:
      username: mlops.mlflow.user
  register: sparkflows
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
mlflow:
  description:
    - With O(mlflow=true), the MLflow configuration the server holds, by the option names of
      M(sparkflows.mlops.mlflow_config) (C(tracking_url), C(deploy_mode), C(username), C(password),
      C(fire_mlops_host), C(fire_mlops_port), C(ssh_key_path)); an empty string for a key the server
      does not hold. Secret values (the password's, and those of keys whose names say secret)
      masked as C(********).
    - V(null) when the user is not an administrator.
  returned: when O(mlflow=true)
  type: dict
  sample: {"tracking_url": "http://mlflow:5000", "deploy_mode": "remote", "username": "admin",
           "password": "********", "fire_mlops_host": "", "fire_mlops_port": "", "ssh_key_path": "/home/sparkflows/.ssh/id_ed25519"}
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
