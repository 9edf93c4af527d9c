# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The runtime API options of the modules that talk to an HAProxy (the scorers' balancers, the MLflow host's proxy).
    # Declared in plugins/module_utils/_haproxy/runtime.py (RUNTIME_ARGSPEC).
    DOCUMENTATION = r'''
options:
  socket:
    description:
      - The HAProxy runtime API socket (C(stats socket ... level admin)) on the host the module
        runs on; role M(sparkflows.mlops.scorer_lb) puts it at V(/run/haproxy/admin.sock), role
        M(sparkflows.mlops.mlflow_host) its TLS proxy's at V(/run/mlflow-proxy.sock), never on a
        network address.
    type: path
    default: /run/haproxy/admin.sock
  socket_timeout:
    description:
      - Seconds one runtime API command may take.
    type: float
    default: 10
'''

    # The action group of the modules that talk to a balancer's runtime API.
    ACTIONGROUP_HAPROXY = r'''
attributes:
  action_group:
    description: Use C(group/sparkflows.mlops.haproxy) in C(module_defaults) to set the runtime API options once.
    support: full
    membership:
      - sparkflows.mlops.haproxy
'''
