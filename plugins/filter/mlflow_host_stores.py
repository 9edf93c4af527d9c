# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.stores import StoreError, stores

DOCUMENTATION = r"""
name: mlflow_host_stores
short_description: The stores of an MLflow host, as role mlflow_host sets them up
version_added: 0.2.0
description:
  - The backend store (tracking) and the basic-auth app's store - both SQLite on the host, or
    both PostgreSQL in separate databases - and the artifact store, a directory or an S3 bucket
    proxied by the tracking server, from the role's variables.
  - PostgreSQL is given by C(db_host) (and C(db_port), C(db_name), C(db_auth_name), C(db_user),
    C(db_password)), or by C(backend_store_uri) (and C(auth_store_uri), else the tracking
    database's name with C(_auth) on the same server).
  - The URIs returned carry no password, whatever form it was given in. PostgreSQL's goes to a
    libpq password file (C(pgpass), at C(pgpass_path)), S3's keys to the C(environment) of the
    tracking server. Both are secrets; the URIs are not.
  - Settings that cannot work are refused naming the variable, never showing its value when it
    may hold a password.
options:
  _input:
    description:
      - The role's variables without the C(mlflow_host_) prefix - C(backend_store_uri),
        C(auth_store_uri), C(db_host), C(db_port), C(db_name), C(db_auth_name), C(db_user),
        C(db_password), C(db_sslmode), C(db_ca_path), C(config_dir), C(data_dir),
        C(artifacts_destination), C(s3_endpoint_url), C(s3_region), C(s3_access_key),
        C(s3_secret_key), C(s3_ca_bundle), C(s3_path_style), C(s3_validate_certs).
    type: dict
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The URI the tracking server is given
  ansible.builtin.debug:
    msg: "{{ {'db_host': 'db1', 'db_user': 'mlflow', 'db_password': 'x', 'db_name': 'mlflow', 'db_auth_name': 'mlflow_auth',
             'artifacts_destination': '/var/lib/mlflow/artifacts'} | sparkflows.mlops.mlflow_host_stores | json_query('tracking_uri') }}"
"""

RETURN = r"""
_value:
  description:
    - C(backend) (V(postgresql) or V(sqlite)), C(tracking_uri), C(auth_uri), C(postgresql) (C(sslmode),
      C(ca_path), C(databases), the tracking one then the auth one, each with C(role), C(host),
      C(port), C(name) and C(user), and C(passwords), user to password; null for SQLite), C(pgpass), C(pgpass_path), C(sqlite_files), C(artifacts)
      (V(local) or V(s3)), C(s3) (C(bucket), C(prefix), C(endpoint_url), C(region), C(access_key),
      C(secret_key), C(ca_path), C(path_style), C(validate_certs); null for a directory) and
      C(environment), the tracking server's environment variables.
  type: dict
"""


def mlflow_host_stores(inputs):
    if not isinstance(inputs, dict):
        raise AnsibleFilterError('mlflow_host_stores takes a dict of the role variables')
    try:
        return stores(inputs)
    except StoreError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {'mlflow_host_stores': mlflow_host_stores}
