# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_info module: is the server up, which release, who am I."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sparkflows.mlops.plugins.module_utils._masking import masked
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import (
    EXECUTION_DONE,
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
    release_of,
)

ARGUMENT_SPEC = dict(
    configuration_prefixes=dict(type='list', elements='str', default=['mlops.']),
    workflow=dict(type='str'),
    workflow_parameters=dict(type='str', default=''),
    workflow_timeout=dict(type='int', default=600),
    workflow_poll_interval=dict(type='float', default=5.0),
    fail_on_workflow_failure=dict(type='bool', default=True),
)


def run_workflow(client, params, check_mode):
    name = params['workflow']
    workflow = client.workflow_by_name(name)
    result = dict(name=name, id=workflow.get('id'), execution_id=None, status=None, succeeded=None)
    if check_mode:
        result['status'] = 'NOT_RUN_IN_CHECK_MODE'
        return result
    execution_id = client.execute_workflow(workflow.get('id'), params['workflow_parameters'])
    status = client.wait_for_execution(execution_id, params['workflow_timeout'],
                                       interval=params['workflow_poll_interval'])
    result.update(execution_id=execution_id, status=status, succeeded=status == 'COMPLETED')
    return result


def run_module():
    module = AnsibleModule(**module_kwargs(ARGUMENT_SPEC))
    params = module.params
    if params['workflow_timeout'] < 0 or params['workflow_poll_interval'] <= 0:
        module.fail_json(msg='workflow_timeout must be >= 0 and workflow_poll_interval > 0')
    result = dict(changed=False)
    try:
        client = SparkflowsClient(**connection_params(params))
        result['health'] = client.health()
        result['release_info'] = client.release_info()
        result['release'] = release_of(result['release_info'])
        result['about'] = client.about()
        result['user'] = client.user_info()
        result['is_admin'] = client.is_admin()
        result['configuration'] = None
        if result['is_admin']:
            everything = client.configurations()
            prefixes = tuple(params['configuration_prefixes'])
            result['configuration'] = masked(dict(
                (key, value) for key, value in everything.items() if key.startswith(prefixes)))
        else:
            module.warn('The Sparkflows user is not an administrator: configuration is not returned.')
        if params['workflow']:
            result['workflow'] = run_workflow(client, params, module.check_mode)
    except SparkflowsError as e:
        module.fail_json(msg=str(e), **result)

    workflow = result.get('workflow')
    if workflow and workflow['succeeded'] is False and params['fail_on_workflow_failure']:
        if workflow['status'] in EXECUTION_DONE:
            msg = 'Workflow %s (execution %s) ended %s' % (workflow['name'], workflow['execution_id'], workflow['status'])
        else:
            msg = 'Workflow %s (execution %s) still %s after workflow_timeout=%ss' % (
                workflow['name'], workflow['execution_id'], workflow['status'], params['workflow_timeout'])
        module.fail_json(msg=msg, **result)
    module.exit_json(**result)
