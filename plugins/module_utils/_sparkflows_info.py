# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_info module: is the server up, which release, who am I. Reads only."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sparkflows.mlops.plugins.module_utils._masking import masked
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import (
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
)

ARGUMENT_SPEC = dict(
    configuration_prefixes=dict(type='list', elements='str', default=['mlops.']),
)


def run_module():
    module = AnsibleModule(**module_kwargs(ARGUMENT_SPEC))
    params = module.params
    result = dict(changed=False)
    try:
        client = SparkflowsClient(**connection_params(params))
        result['health'] = client.health()
        result['release'], result['release_info'] = client.release()
        result['about'] = client.about()
        result['user'] = client.user_info()
        result['is_admin'] = client.is_admin()
        result['configuration'] = None
        if result['is_admin']:
            everything = client.configurations().text()
            prefixes = tuple(params['configuration_prefixes'])
            result['configuration'] = masked(dict(
                (key, value) for key, value in everything.items() if key.startswith(prefixes)))
        else:
            module.warn('The Sparkflows user is not an administrator: configuration is not returned.')
    except SparkflowsError as e:
        module.fail_json(msg=str(e), **result)
    module.exit_json(**result)
