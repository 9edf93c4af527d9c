#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: ssh_check
short_description: Prove, from the managed host, that an SSH key opens a session on another host
version_added: 0.1.0
description:
  - Connects with paramiko B(from the managed host) to O(host):O(port), checks the host key the
    server offers against O(host_key) or O(known_hosts_path) before sending anything (an unknown
    or different host key always fails), then authenticates as O(user) with the private key at
    O(key_path) and runs O(command), which must exit 0.
  - With O(authenticate=false) only reachability and the host key are checked, for example
    before anything is installed.
  - Changes nothing; every step is bounded by O(timeout).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  host:
    description:
      - Address of the SSH server, as the managed host reaches it.
    type: str
    required: true
  port:
    description:
      - SSH port.
    type: int
    default: 22
  user:
    description:
      - Login on O(host). Required when O(authenticate=true).
    type: str
  key_path:
    description:
      - Private key file on the managed host. Required when O(authenticate=true).
    type: path
  host_key:
    description:
      - The public host key O(host) must offer (C(<type> <base64>), optionally preceded by a host
        field, as in C(/etc/ssh/ssh_host_ed25519_key.pub) or C(ssh-keyscan) output).
      - Exactly one of O(host_key) and O(known_hosts_path).
    type: str
  known_hosts_path:
    description:
      - A known_hosts file on the managed host holding the key of O(host) (or C([host]:port)).
    type: path
  authenticate:
    description:
      - Whether to log in and run O(command) after the host key check.
    type: bool
    default: true
  command:
    description:
      - Command run in the session; it must exit 0.
    type: str
    default: "true"
  timeout:
    description:
      - Seconds allowed for the connection, the handshake, and the command each.
    type: int
    default: 10
requirements:
  - paramiko (on the managed host; Debian C(python3-paramiko))
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Sparkflows reaches the MLflow host with its key, host key checked
  sparkflows.mlops.ssh_check:
    host: mlflow.example.net
    user: sparkflows
    key_path: /home/sparkflows/.ssh/sparkflows_mlflow
    known_hosts_path: /home/sparkflows/.ssh/known_hosts
    command: mlflow --version

- name: Before installing anything, only check that the MLflow host is the one we expect
  sparkflows.mlops.ssh_check:
    host: mlflow.example.net
    host_key: "{{ lookup('ansible.builtin.file', 'host_keys/mlflow.example.net.pub') }}"
    authenticate: false
'''

RETURN = r'''
host_key:
  description: The host key the server offered (it matched the expected one), C(<type> <base64>).
  returned: success
  type: str
  sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx0...
known_hosts_name:
  description:
    - The name the host goes by in a known_hosts file, O(host) or C([host]:port) for a port other
      than 22, as OpenSSH writes it (for M(ansible.builtin.known_hosts) with RV(host_key)).
  returned: success
  type: str
  sample: '[mlflow.example.net]:2222'
host_key_type:
  description: Type of the host key the server offered.
  returned: success
  type: str
  sample: ssh-ed25519
host_key_fingerprint:
  description: SHA256 fingerprint of the host key the server offered.
  returned: success
  type: str
  sample: SHA256:1SRYn7UZuO0dbZ2tK7NG0Ybu53oS8CgNmw2vAMx5D8Q
authenticated:
  description: Whether a session was opened with the key.
  returned: success
  type: bool
rc:
  description: Exit status of O(command), always 0 (any other fails the task).
  returned: when O(authenticate=true)
  type: int
stdout:
  description: Output of O(command), stripped.
  returned: when O(authenticate=true)
  type: str
seconds:
  description: Time the check took.
  returned: success
  type: float
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh.check import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
