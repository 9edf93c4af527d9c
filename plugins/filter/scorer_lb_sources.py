# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_lb import LbRuleError, sources

DOCUMENTATION = r"""
name: scorer_lb_sources
short_description: The addresses the scorer hosts accept scoring connections from, the balancers'
version_added: 0.2.0
description:
  - Each balancer's C(scorer_lb_source_addresses) when set (addresses or networks), else the
    default IPv4 and IPv6 addresses of its gathered facts.
options:
  _input:
    description: The balancer hosts (inventory names).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars), to read each balancer's C(scorer_lb_source_addresses) or facts.
    type: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Who may open a scoring connection
  ansible.builtin.debug:
    msg: "{{ groups['scorer_lbs'] | sparkflows.mlops.scorer_lb_sources(hostvars) }}"
"""

RETURN = r"""
_value:
  description: C(ipv4) and C(ipv6), each a list of networks (an address is a /32 or /128).
  type: dict
"""


def _fact_addresses(host_vars):
    facts = host_vars.get('ansible_facts') or {}
    found = []
    for family in ('default_ipv4', 'default_ipv6'):
        address = (facts.get(family) or {}).get('address')
        if address:
            found.append(address)
    return found


def _listed(value):
    return [value] if isinstance(value, str) else list(value or [])


def scorer_lb_sources(hosts, hostvars):
    if isinstance(hosts, str):
        raise AnsibleFilterError('scorer_lb_sources takes a list of balancer hosts, got the text %r' % hosts)
    try:
        return sources([(host, _listed(hostvars[host].get('scorer_lb_source_addresses')) or _fact_addresses(hostvars[host]))
                        for host in hosts or []])
    except KeyError as e:
        raise AnsibleFilterError('scorer_lb_sources: no host %s in hostvars' % e)
    except LbRuleError as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {'scorer_lb_sources': scorer_lb_sources}
