#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mlflow_config
short_description: Set the MLflow configuration of Sparkflows (Administration > Configuration > MLflow)
version_added: 0.1.0
description:
  - Sets, through the Sparkflows REST API, the MLflow tracking URL, MLflow login, deploy mode,
    Fire MLOps host and port, and the SSH key path of remote mode.
  - Only the keys of the options you set (and of O(settings)) are compared and changed; every
    other configuration key keeps its value. By default (O(write_scope=whole_set)) the whole
    configuration set is read, changed and written back (read-modify-write), so a server whose
    C(POST /api/v1/configurations) replaces the whole set loses nothing. The body takes the shape
    C(GET /api/v1/configurations/infer) answers where the server serves it (the documented way
    to learn what the POST takes), else the shape C(GET /api/v1/configurations) answered; a shape
    whose written form is not known (a Spring Data page without C(/infer)) fails before anything
    is written, naming it.
  - A value the server showed masked (C(********), C(****1234), C(<hidden>), C([PROTECTED]),
    C($encrypted$)) is never written back. When writing the whole set would carry one (an S3
    secret key, another tool's password, the MLflow password kept under
    O(update_password=on_create)), the task fails before writing, naming those keys; set
    O(write_scope=changed_entries) for a server that keeps what a POST does not name, or give
    their values in O(settings).
  - After writing, the configuration is read back. When the server did not keep a key (it does
    not define that name), the configuration is restored as it was read (a key it showed masked
    keeps the value written, never the mask) and the task fails, naming each such key; set its
    name with O(key_map) (or correct it in O(settings)). A value read back masked counts as kept.
  - A configuration answer of a shape the collection does not recognise fails, naming the
    endpoint and what came, before anything is written.
  - Needs a Sparkflows administrator.
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the configuration (and C(/infer)), writes nothing; a write that would be refused (a masked
      value to carry, an unknown shape) fails as it would without check mode.
  diff_mode:
    support: full
    details: Before and after of the managed keys, secrets masked.
  platform:
    platforms: all
options:
  state:
    description:
      - V(present) sets the given options; V(absent) empties every key of O(key_map) and of O(settings).
    type: str
    choices: [present, absent]
    default: present
  tracking_url:
    description:
      - MLflow tracking server URL, for example V(http://mlflow.example.net:5000).
    type: str
  username:
    description:
      - MLflow login username, if the tracking server asks for one.
    type: str
  password:
    description:
      - MLflow login password. Never shown; a different password is reported as a change.
    type: str
  update_password:
    description:
      - V(always) writes O(password) when it differs from the stored one; V(on_create) only
        when no password is stored yet.
      - Also applies to every other secret of the task (O(secret_settings), settings whose names
        say secret, keys the server shows masked).
      - A server that shows the stored password masked cannot tell whether it differs, so
        V(always) writes it, and reports a change, on every run; V(on_create) then keeps it.
    type: str
    choices: [always, on_create]
    default: always
  deploy_mode:
    description:
      - V(fire_mlops_server) (production; Sparkflows and MLflow on separate machines, the Fire
        MLOps server beside MLflow) needs O(fire_mlops_host) and O(fire_mlops_port).
      - V(local) (Sparkflows and MLflow on the same machine).
      - V(remote) (separate machines with SSH access from Sparkflows to MLflow) needs O(ssh_key_path).
    type: str
    choices: [fire_mlops_server, local, remote]
  fire_mlops_host:
    description:
      - Host of the Fire MLOps server that runs beside MLflow.
    type: str
  fire_mlops_port:
    description:
      - Port of the Fire MLOps server (8086 by default on its side).
    type: int
  ssh_key_path:
    description:
      - Path, on the Sparkflows host, of the SSH private key that opens the MLflow host.
    type: str
  settings:
    description:
      - Further configuration keys and values to set as they are, for example
        C(mlops.models.state.values) or C(mlops.aws.s3.endpoint.url).
      - Values whose key names a password, secret, token, credential, access key or private key,
        and the values of the keys in O(secret_settings), are never shown - not in the result,
        the diff, nor the module arguments Ansible logs at C(-vvv) or in JSON callbacks.
    type: dict
    default: {}
  secret_settings:
    description:
      - Keys of O(settings) whose values are secrets although their names do not say so.
    type: list
    elements: str
    default: []
  key_map:
    description:
      - Overrides of the configuration key an option is stored under. Defaults are
        C(tracking_url=mlops.mlflow.trackingURL), C(deploy_mode=mlops.mlflow.deploy.mode),
        C(username=mlops.mlflow.username), C(password=mlops.mlflow.password),
        C(fire_mlops_host=mlops.fire.mlops.host), C(fire_mlops_port=mlops.fire.mlops.port),
        C(ssh_key_path=mlops.mlflow.ssh.key.path).
      - The first two are documented by Sparkflows; check the others against your release.
    type: dict
    default: {}
  write_scope:
    description:
      - V(whole_set) writes the whole configuration set back with the changes applied (right for
        every server); refused before writing when the set holds a value the server showed masked
        (other than the keys being changed).
      - V(changed_entries) writes only the entries being changed (an entry read keeps its other
        fields, such as its id), only for a server that keeps the settings a POST does not name.
        The read-back checks it; if the server dropped the other settings, the task fails naming
        them (they must then be set again by hand).
    type: str
    choices: [whole_set, changed_entries]
    default: whole_set
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Point Sparkflows at an MLflow server with the Fire MLOps server beside it
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    tracking_url: http://mlflow.example.net:5000
    username: mlflow-admin
    password: "{{ mlflow_password }}"
    deploy_mode: fire_mlops_server
    fire_mlops_host: mlflow.example.net
    fire_mlops_port: 8086

# The password set above is now stored, and a server may show it masked: this task does not
# give it, so writing the whole set back would carry the mask. On a Sparkflows that keeps the
# settings a POST does not name, write only the changed entries.
- name: Remote mode, with the SSH key Sparkflows uses to reach the MLflow host
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    tracking_url: http://mlflow.example.net:5000
    deploy_mode: remote
    ssh_key_path: /home/sparkflows/.ssh/mlflow_ed25519
    write_scope: changed_entries

- name: Clear the MLflow configuration
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    state: absent
'''

RETURN = r'''
changed_keys:
  description: Configuration keys written (or that would be written in check mode).
  returned: success
  type: list
  elements: str
  sample: ["mlops.mlflow.deploy.mode"]
configuration:
  description: The managed keys after the task, secrets masked.
  returned: success
  type: dict
  sample: {"mlops.mlflow.trackingURL": "http://mlflow:5000", "mlops.mlflow.password": "********"}
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow_config import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
