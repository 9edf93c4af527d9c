# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: mlflow_host_s3
short_description: The contract between roles mlflow_host and sparkflows_mlflow, the MLflow host's S3 store
version_added: 0.2.0
description:
  - The one reader of what role C(sparkflows.mlops.sparkflows_mlflow) knows of role
    C(sparkflows.mlops.mlflow_host)'s variables; the role does not read them itself.
  - The S3 store the MLflow host of O(_terms) keeps its artifacts in, as Sparkflows' Fire MLOps
    server is given it - when its C(mlflow_host_artifacts_destination) starts with V(s3://).
    Otherwise, and for a host that is not in the inventory (an MLflow Ansible does not manage) or
    none (V('')), every value is empty (and C(validate_certs) true).
options:
  _terms:
    description: The inventory name of the MLflow host (one, may be V('')).
    required: true
    type: list
    elements: str
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The MLflow host's S3 store (its secret key is never shown)
  ansible.builtin.debug:
    msg: "{{ lookup('sparkflows.mlops.mlflow_host_s3', groups.mlflow | first).endpoint_url }}"
"""

RETURN = r"""
_raw:
  description:
    - One dict. C(s3) - whether the host's artifacts go to S3; C(access_key), C(secret_key),
      C(endpoint_url) - its C(mlflow_host_s3_access_key), C(mlflow_host_s3_secret_key) and
      C(mlflow_host_s3_endpoint_url) (empty when unset or when C(s3) is false); C(validate_certs) -
      its C(mlflow_host_s3_validate_certs) (true when unset).
  type: list
"""

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase

# The mlflow_host variables read, by the key returned.
KEYS = {'access_key': 'mlflow_host_s3_access_key', 'secret_key': 'mlflow_host_s3_secret_key',
        'endpoint_url': 'mlflow_host_s3_endpoint_url'}


def host_s3(host_vars):
    """What the lookup returns for an MLflow host's variables (a mapping)."""
    s3 = str(host_vars.get('mlflow_host_artifacts_destination') or '').startswith('s3://')
    store = dict((key, str(host_vars.get(name) or '') if s3 else '') for key, name in KEYS.items())
    validate = host_vars.get('mlflow_host_s3_validate_certs')
    try:
        store['validate_certs'] = True if validate is None or validate == '' else boolean(validate)
    except TypeError as e:
        raise AnsibleLookupError('mlflow_host_s3_validate_certs: %s' % e)
    return dict(store, s3=s3)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        if len(terms) != 1:
            raise AnsibleLookupError('mlflow_host_s3 takes one MLflow host, got %s' % (terms,))
        hostvars = (variables or {}).get('hostvars') or {}
        return [host_s3(hostvars[terms[0]] if terms[0] in hostvars else {})]
