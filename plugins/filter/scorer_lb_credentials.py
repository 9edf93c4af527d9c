# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy_tls import HaproxyRuleError, credential_digests

DOCUMENTATION = r"""
name: scorer_lb_credentials
short_description: What a scorer balancer stores to recognise the endpoint's credentials
version_added: 0.2.0
description:
  - >-
    The SHA-256 digests (lower-case hex) of each API key and of each user's whole
    C(Authorization: Basic ...) value, which the balancer compares a request's digest with; the
    keys and passwords themselves are never written on the balancer.
  - API keys shorter than 16 characters, users without a name or password and names with a
    colon are refused.
  - The same as P(sparkflows.mlops.haproxy_credentials#filter), the name every HAProxy of the
    collection uses (role M(sparkflows.mlops.scorer_lb) among them); kept for the playbooks that use it.
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
    msg: "{{ ['an-api-key-of-some-length'] | sparkflows.mlops.scorer_lb_credentials([{'name': 'app', 'password': 'secret'}]) }}"
"""

RETURN = r"""
_value:
  description: C(api_keys) and C(users), each a sorted list of digests.
  type: dict
"""


def scorer_lb_credentials(api_keys, users=None):
    try:
        return credential_digests(api_keys, users)
    except HaproxyRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_lb_credentials': scorer_lb_credentials}
