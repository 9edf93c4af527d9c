#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: ssh_private_key
short_description: Install an SSH private key on the host, validated, 0600, never shown
version_added: 0.1.0
description:
  - Writes an unencrypted RSA, ECDSA or Ed25519 private key (OpenSSH or PEM format) to O(path)
    from O(content) (for example read from a key vault on the controller) or from O(src) (a file
    already on the host), and returns its public key line and fingerprint.
  - The key is parsed before anything is written; material that is not a private key fails the
    task with a message that never quotes it, and O(path) is left as it was.
  - The file is created 0600 (a temporary file beside O(path), fsynced, renamed over it); a
    O(mode) that lets group or others read the key is refused.
  - Output, diff and logs show fingerprints only, never key material.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Parses the key and reports whether O(path) would change; writes nothing.
  diff_mode:
    support: full
    details: Before and after fingerprints (and file attributes), never the key.
  platform:
    platforms: posix
options:
  path:
    description:
      - Where the private key goes on the host. Its directory must exist.
    type: path
    required: true
  content:
    description:
      - The private key material. Never logged.
      - Exactly one of O(content) and O(src).
    type: str
  src:
    description:
      - A file on the host to read the private key from.
    type: path
  comment:
    description:
      - Comment appended to the returned RV(public_key) (it marks the key in C(authorized_keys)).
    type: str
    default: ""
  public_key_file:
    description:
      - Also write the public key line to C(<path>.pub) (mode 0644), as C(ssh-keygen) does. OpenSSH
        clients offer the key in a C(.pub) beside the private key, so a stale one must not stay.
    type: bool
    default: true
  mode:
    description:
      - Permissions of O(path). Defaults to V(0600); group or other bits are refused.
    type: raw
requirements:
  - paramiko (on the host; Debian C(python3-paramiko))
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Install the key Sparkflows uses to reach the MLflow host, from a key vault
  sparkflows.mlops.ssh_private_key:
    path: /home/sparkflows/.ssh/sparkflows_mlflow
    content: "{{ lookup('community.hashi_vault.vault_kv2_get', 'sparkflows/mlflow-ssh').secret.private_key }}"
    owner: sparkflows
    group: sparkflows
    comment: sparkflows-mlflow@sparkflows-01
  register: installed_key

- name: Authorize it on the MLflow host
  ansible.posix.authorized_key:
    user: sparkflows
    key: "{{ installed_key.public_key }}"
  delegate_to: mlflow.example.net
'''

RETURN = r'''
path:
  description: The private key file.
  returned: success
  type: str
  sample: /home/sparkflows/.ssh/sparkflows_mlflow
public_key:
  description: The public key line of the private key, with O(comment).
  returned: success
  type: str
  sample: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq6... sparkflows-mlflow@sparkflows-01
fingerprint:
  description: SHA256 fingerprint of the key, as C(ssh-keygen -l) prints it.
  returned: success
  type: str
  sample: SHA256:1SRYn7UZuO0dbZ2tK7NG0Ybu53oS8CgNmw2vAMx5D8Q
key_type:
  description: SSH key type.
  returned: success
  type: str
  sample: ssh-ed25519
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh.private_key import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
