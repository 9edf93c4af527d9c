# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import HaproxyRuleError, tls_globals

DOCUMENTATION = r"""
name: haproxy_tls_globals
short_description: The TLS lines of an HAProxy configuration's global section
version_added: 0.2.0
description:
  - The C(global) section's TLS defaults every HAProxy of this collection runs with (role
    M(sparkflows.mlops.scorer_lb)'s balancers, the MLflow host's proxy) - TLS 1.2 and newer only
    (C(ssl-min-ver TLSv1.2)), no session tickets, forward-secret AEAD ciphers for TLS 1.2 and the
    AEAD suites of TLS 1.3.
  - For the frontends' binds (C(bind)), or for the servers HAProxy speaks TLS to (C(server)).
options:
  _input:
    description: The side, C(bind) or C(server).
    type: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The global TLS lines of a TLS-terminating HAProxy
  ansible.builtin.debug:
    msg: "{{ 'bind' | sparkflows.mlops.haproxy_tls_globals }}"
"""

RETURN = r"""
_value:
  description: The lines (C(ssl-default-bind-options ...), C(-ciphers ...), C(-ciphersuites ...)), without indentation.
  type: list
  elements: str
"""


def haproxy_tls_globals(side):
    try:
        return tls_globals(side)
    except HaproxyRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'haproxy_tls_globals': haproxy_tls_globals}
