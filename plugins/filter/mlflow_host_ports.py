# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.ports import PortsError, layout

DOCUMENTATION = r"""
name: mlflow_host_ports
short_description: Where each process of an MLflow host listens, with or without TLS in front
version_added: 0.2.0
description:
  - The ports of the tracking server, each served model and the Fire MLOps server, as role
    M(sparkflows.mlops.mlflow_host) lays them out.
  - Without TLS each process listens on its public port. With TLS (C(tls)) the host's TLS proxy
    (the C(mlflow-proxy) unit, HAProxy) holds every public port and each process binds to
    loopback on its public port plus C(port_offset).
  - With TLS each served model has two slots, blue (public port plus C(port_offset)) and green
    (plus twice C(port_offset)), each a backend of the model's frontend; the proxy's map of
    frontend to backend picks the live one at run time.
  - Also says which unit must hold each port (the role's preflight refuses a port another service
    holds) and which C(Host) headers MLflow 3 accepts (C(--allowed-hosts)) - behind the proxy,
    the certificate's names with any port, and loopback.
options:
  _input:
    description:
      - C(tls), C(port_offset), C(tracking_host), C(tracking_port), C(models) (C(name) and C(port)
        of each served model present), C(fire_mlops_enabled), C(fire_mlops_port), C(tls_names)
        (the proxy certificate's subjectAltNames), C(allowed_hosts) (the user's; kept as given
        when set) and C(served) (the served models' state, C(name) to C(live), the slot each serves
        from; blue when not given).
    type: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Where the tracking server binds
  ansible.builtin.debug:
    msg: >-
      {{ ({'tls': true, 'port_offset': 10000, 'tracking_port': 5000, 'fire_mlops_port': 8086, 'tls_names': ['DNS:mlflow.example.net']}
          | sparkflows.mlops.mlflow_host_ports).tracking_port }}
"""

RETURN = r"""
_value:
  description:
    - C(tls), C(bind) (the tracking server's address), C(model_bind) (the served models'),
      C(tracking_port), C(models) (name to the port of its live slot), C(slots) (name to
      C(blue) and, with TLS, C(green), each with its C(instance) of C(mlflow-model@), its C(port)
      and its proxy C(backend)), C(fire_mlops_port) (null when not enabled),
      C(frontends) (C(name), C(port), C(check), the health path or null, and C(backends), each
      C(name) and C(port) - a served model's two slots, blue first; empty
      without TLS), C(allowed_hosts), C(port_units) (port to the unit that must hold it) and C(own_units), a
      regular expression matching every unit of the role.
  type: dict
"""


def mlflow_host_ports(inputs):
    if not isinstance(inputs, dict):
        raise AnsibleFilterError('mlflow_host_ports takes a dict of the role variables')
    try:
        return layout(inputs)
    except (PortsError, KeyError, TypeError, ValueError) as error:
        raise AnsibleFilterError('mlflow_host_ports: %s' % error)


class FilterModule(object):
    def filters(self):
        return {'mlflow_host_ports': mlflow_host_ports}
