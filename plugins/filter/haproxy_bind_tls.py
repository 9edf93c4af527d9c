# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import HaproxyRuleError, bind_tls

DOCUMENTATION = r"""
name: haproxy_bind_tls
short_description: The TLS options of an HAProxy frontend's bind line
version_added: 0.2.0
description:
  - What follows C(bind address:port) in a TLS-terminating frontend of this collection's HAProxy -
    C(ssl crt) with the certificate (its key beside it, as C(<certificate>.key), which HAProxy
    loads with it; role C(sparkflows.mlops._common)'s C(tls_certificate) entry point installs
    both) and the application protocol offered (C(alpn http/1.1)).
  - The protocol versions and ciphers are the C(global) section's, P(sparkflows.mlops.haproxy_tls_globals#filter).
options:
  _input:
    description: The certificate's path on the HAProxy host (one word, no spaces).
    type: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: A frontend's bind line
  ansible.builtin.debug:
    msg: "bind *:8443 {{ '/etc/haproxy/sparkflows/scorer_lb.pem' | sparkflows.mlops.haproxy_bind_tls }}"
"""

RETURN = r"""
_value:
  description: The options, C(ssl crt <certificate> alpn http/1.1).
  type: str
"""


def haproxy_bind_tls(certificate):
    try:
        return bind_tls(certificate)
    except HaproxyRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'haproxy_bind_tls': haproxy_bind_tls}
