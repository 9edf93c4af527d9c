# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The connection to an MLflow tracking server's REST API of the mlflow modules.
    # Declared in plugins/module_utils/_mlflow/tracking_api.py (CONNECTION_SPEC).
    DOCUMENTATION = r'''
options:
  tracking_uri:
    description:
      - URL of the MLflow tracking server, for example C(https://mlflow.example.net:5000).
    type: str
    required: true
  username:
    description:
      - User of MLflow's basic authentication (the C(basic-auth) app); with O(password).
    type: str
  password:
    description:
      - Its password.
    type: str
  validate_certs:
    description:
      - Whether the tracking server's TLS certificate is verified. Turn it off only on a network you trust.
    type: bool
    default: true
  ca_path:
    description:
      - CA bundle file (PEM) the tracking server's certificate must chain to; the system's trust store when not given.
    type: path
  timeout:
    description:
      - Seconds allowed for each request to MLflow.
    type: int
    default: 30
'''

    # The action group of the modules that call a tracking server.
    ACTIONGROUP_MLFLOW = r'''
attributes:
  action_group:
    description: Use C(group/sparkflows.mlops.mlflow) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - sparkflows.mlops.mlflow
'''
