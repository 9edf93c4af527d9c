# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import HaproxyRuleError, auth_lines

DOCUMENTATION = r"""
name: haproxy_auth_lines
short_description: The lines of an HAProxy frontend that let only known API keys and users through
version_added: 0.2.0
description:
  - The C(http-request) and C(acl) lines of a frontend of this collection's HAProxy that let a
    request through only when the SHA-256 of its API key header, or of its whole
    C(Authorization) value, is listed in the digest files (else 401 with a basic challenge), then
    remove both headers so that no server behind sees a credential.
  - The digest files hold the digests of P(sparkflows.mlops.haproxy_credentials#filter), one a line
    (role C(sparkflows.mlops._common)'s C(haproxy_credentials) entry point writes them).
  - No lines (an open frontend) when the credentials hold neither API keys nor users.
options:
  _input:
    description: The credentials' digests, as P(sparkflows.mlops.haproxy_credentials#filter) returns them (C(api_keys), C(users)).
    type: dict
    required: true
  header:
    description: The request header of the API key (not C(Authorization)).
    type: str
    required: true
  realm:
    description: The realm of the basic-authentication challenge (one word).
    type: str
    required: true
  api_keys_file:
    description: The file of the API keys' digests on the HAProxy host.
    type: str
    required: true
  users_file:
    description: The file of the users' digests on the HAProxy host.
    type: str
    required: true
  servers:
    description: What the comment above the removal of the credentials calls the servers behind the frontend.
    type: str
    default: servers
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The authentication lines of a frontend
  ansible.builtin.debug:
    msg: >-
      {{ ['an-api-key-of-some-length'] | sparkflows.mlops.haproxy_credentials
         | sparkflows.mlops.haproxy_auth_lines(header='X-API-Key', realm='scoring',
                                               api_keys_file='/etc/haproxy/sparkflows/api-keys.sha256',
                                               users_file='/etc/haproxy/sparkflows/users.sha256') }}
"""

RETURN = r"""
_value:
  description: The lines, without indentation, in the order HAProxy must run them; empty without credentials.
  type: list
  elements: str
"""


def haproxy_auth_lines(credentials, header, realm, api_keys_file, users_file, servers='servers'):
    try:
        return auth_lines(credentials, header, realm, api_keys_file, users_file, servers)
    except HaproxyRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'haproxy_auth_lines': haproxy_auth_lines}
