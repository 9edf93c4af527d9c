# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The connection options of every module that talks to the Sparkflows REST API.
    # Declared in plugins/module_utils/_sparkflows/client.py (CONNECTION_ARGSPEC).
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the Sparkflows server, for example V(https://sparkflows.example.net:8443).
      - The web server listens on port 8080 (HTTP) or 8443 (HTTPS) by default.
    type: str
    required: true
  api_token:
    description:
      - A Fire access token (JWT), sent in the header named by O(api_token_header).
      - Made in the Sparkflows user profile (GENERATE ACCESS TOKEN) or with C(POST /api/v1/tokens).
      - Exactly one of O(api_token) or O(api_username) and O(api_password) is needed.
    type: str
  api_token_header:
    description:
      - Name of the HTTP header that carries O(api_token).
    type: str
    default: token
  api_username:
    description:
      - Sparkflows user for a session login (C(POST /login)), with O(api_password).
    type: str
  api_password:
    description:
      - Password of O(api_username).
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of an V(https://) O(api_url).
      - Set O(ca_path) rather than turning this off for a private CA.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates to trust for O(api_url).
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after a connection error or an HTTP 5xx answer,
        with exponential backoff. HTTP 4xx answers are never retried.
    type: int
    default: 3
notes:
  - The connection options can be set once for every module of the collection with
    C(module_defaults) and the action group C(group/sparkflows.mlops.sparkflows).
'''

    # Membership of the action group of meta/runtime.yml.
    ACTIONGROUP_SPARKFLOWS = r'''
attributes:
  action_group:
    description: Use C(group/sparkflows.mlops.sparkflows) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - sparkflows.mlops.sparkflows
'''
