# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: scorer_fleet
short_description: The contract between roles scorer and scorer_lb, read from the inventory once
version_added: 0.2.0
description:
  - The one reader of what roles C(sparkflows.mlops.scorer) and C(sparkflows.mlops.scorer_lb) know
    of each other's hosts; neither role reads the other's variables itself.
  - V(balancers) - each host of O(group) (the balancers) with the runtime API socket the scorer
    hosts' rollout talks to on it (its C(scorer_lb_socket), else V(/run/haproxy/admin.sock), role
    C(scorer_lb)'s default) and its addresses as V(sources) reads them (empty while neither is
    known; role C(scorer) then gathers its network facts).
  - V(sources) - the addresses the scorer hosts accept scoring connections from, each balancer's
    C(scorer_lb_source_addresses) when set (addresses or networks), else the default IPv4 and IPv6
    addresses of its gathered facts; as C(ipv4) and C(ipv6) networks. A balancer with neither, or
    an address that is not one, is refused naming it.
  - V(groups) - the names of the two inventory groups, V(scorers) (C(scorer_lb_scorer_group) of role
    C(scorer_lb), default V(scorers)) and V(balancers) (C(scorer_balancer_group) of role C(scorer),
    default V(scorer_lbs)). The playbooks choose their hosts by it; a play's hosts are chosen before
    any inventory variable exists, so to rename the groups pass both variables with C(-e) (or as AWX
    extra variables).
  - V(backends) - which hosts of O(group) (the scorer hosts) serve which model, and where. Each
    model of a host's C(scorer_models) (but those of C(state=absent)) is a server of the model's
    backend at the host's C(scorer_lb_address) (else its C(ansible_host), else its name) and the
    model's C(host_port); the model's C(lb_port) is the port of its URL and must be the same on
    every host that serves it. Two models on one C(lb_port) are refused. Each backend's
    C(health_path) is the route its scorers answer health on, the hosts' C(scorer_health_path)
    (else role C(scorer)'s default V(/health)), which must be the same on every host that serves it.
options:
  _terms:
    description: What to return, V(balancers), V(sources), V(backends) or V(groups).
    required: true
    type: list
    elements: str
  group:
    description:
      - The inventory group of the hosts read (the balancers', or the scorer hosts').
      - Default, the balancers' group for V(balancers) and V(sources), the scorer hosts' for
        V(backends), as V(groups) names them.
    type: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Where the rollout talks to each balancer
  ansible.builtin.debug:
    msg: "{{ lookup('sparkflows.mlops.scorer_fleet', 'balancers', group='scorer_lbs') }}"

- name: Who may open a scoring connection
  ansible.builtin.debug:
    msg: "{{ lookup('sparkflows.mlops.scorer_fleet', 'sources', group='scorer_lbs') }}"

- name: The backends of the scorers group
  ansible.builtin.debug:
    msg: "{{ lookup('sparkflows.mlops.scorer_fleet', 'backends', group='scorers') }}"

# A play of the scorer hosts, whatever the group is called (-e scorer_lb_scorer_group=web).
- name: Scorer hosts
  hosts: "{{ lookup('sparkflows.mlops.scorer_fleet', 'groups').scorers }}"
  tasks: []
"""

RETURN = r"""
_raw:
  description:
    - V(balancers) - a list of C(name), C(socket) and C(addresses).
    - V(sources) - one dict, C(ipv4) and C(ipv6), each a list of networks (an address is a /32 or /128).
    - V(backends) - a list of backends, each with C(name), C(model), C(port), C(health_path) and
      C(servers) (C(name), C(address), C(port)).
    - V(groups) - one dict, C(scorers) and C(balancers).
  type: list
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import DEFAULT_SOCKET
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import (
    BALANCER_GROUP, SCORER_GROUP, LbRuleError, backends, sources)

WHAT = ('balancers', 'sources', 'backends', 'groups')
# The variable that names each group, and its default (the roles' defaults; a unit test holds them).
GROUP_VARIABLES = dict(scorers=('scorer_lb_scorer_group', SCORER_GROUP),
                       balancers=('scorer_balancer_group', BALANCER_GROUP))
# The group each answer reads by default.
GROUP_READ = dict(balancers='balancers', sources='balancers', backends='scorers')


def _listed(value):
    return [value] if isinstance(value, str) else list(value or [])


def _fact_addresses(host_vars):
    facts = host_vars.get('ansible_facts') or {}
    return [address for address in ((facts.get(family) or {}).get('address')
                                    for family in ('default_ipv4', 'default_ipv6')) if address]


def _addresses(host_vars):
    """A balancer's addresses as the scorer hosts see it: set, else those of its facts (none yet:
    its facts are not gathered)."""
    return _listed(host_vars.get('scorer_lb_source_addresses')) or _fact_addresses(host_vars)


def fleet(what, hosts, hostvars):
    """What the lookup returns for hosts (inventory names), reading hostvars (host: variables)."""
    def host_vars(host):
        try:
            return hostvars[host]
        except KeyError:
            raise AnsibleLookupError('scorer_fleet: no host %s in hostvars' % host)

    try:
        if what == 'balancers':
            return [dict(name=host, socket=host_vars(host).get('scorer_lb_socket') or DEFAULT_SOCKET,
                         addresses=_addresses(host_vars(host))) for host in hosts]
        if what == 'sources':
            return sources([(host, _addresses(host_vars(host))) for host in hosts])
        return backends([(host, host_vars(host).get('scorer_models') or [],
                          host_vars(host).get('scorer_lb_address') or host_vars(host).get('ansible_host') or host)
                         for host in hosts],
                        dict((host, host_vars(host).get('scorer_health_path')) for host in hosts))
    except LbRuleError as e:
        raise AnsibleLookupError(str(e))


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1 or terms[0] not in WHAT:
            raise AnsibleLookupError('scorer_fleet takes one of %s, got %s' % (', '.join(WHAT), terms))
        variables = variables or {}
        names = self.group_names(variables)
        if terms[0] == 'groups':
            return [names]
        group = self.get_option('group') or names[GROUP_READ[terms[0]]]
        hosts = (variables.get('groups') or {}).get(group) or []
        return [fleet(terms[0], hosts, variables.get('hostvars') or {})]

    def group_names(self, variables):
        """{scorers, balancers}: the group names as the variables give them (templated: at a task they
        may be templates), else the roles' defaults."""
        names = {}
        for key, (variable, default) in GROUP_VARIABLES.items():
            value = self._templar.template(variables[variable]) if variable in variables else None
            names[key] = self._group_name(variable, value) or default
        return names

    @staticmethod
    def _group_name(variable, value):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise AnsibleLookupError('%s must name an inventory group, not %r' % (variable, value))
        return value.strip() if value else None
