# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import HaproxyRuleError, credential_digests

DOCUMENTATION = r"""
name: haproxy_credentials
short_description: What this collection's HAProxy stores to recognise API keys and basic-auth users
version_added: 0.2.0
description:
  - >-
    The SHA-256 digests (lower-case hex) of each API key and of each user's whole
    C(Authorization: Basic ...) value, which HAProxy compares a request's digest with
    (P(sparkflows.mlops.haproxy_auth_lines#filter)); the keys and passwords themselves are never
    written on the HAProxy host.
  - API keys shorter than 16 characters, users without a name or password and names with a
    colon are refused.
options:
  _input:
    description: The API keys (a list of text).
    type: list
    elements: str
    required: true
  users:
    description: The basic-authentication users, each with C(name) and C(password).
    type: list
    elements: dict
    default: []
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The digests of one key and one user
  ansible.builtin.debug:
    msg: "{{ ['an-api-key-of-some-length'] | sparkflows.mlops.haproxy_credentials([{'name': 'app', 'password': 'secret'}]) }}"
"""

RETURN = r"""
_value:
  description: C(api_keys) and C(users), each a sorted list of digests.
  type: dict
"""


def haproxy_credentials(api_keys, users=None):
    try:
        return credential_digests(api_keys, users)
    except HaproxyRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'haproxy_credentials': haproxy_credentials}
