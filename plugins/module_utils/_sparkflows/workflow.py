# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_workflow module: run a score workflow and wait for its end, bounded."""

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    EXECUTION_DONE,
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
)

ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    workflow_id=dict(type='int'),
    parameters=dict(type='str', default=''),
    wait=dict(type='bool', default=True),
    timeout=dict(type='int', default=600),
    poll_interval=dict(type='float', default=5.0),
)
# The end states that fail the task (COMPLETED succeeds; STOPPED and SKIPPED are someone's choice).
FAILED_STATES = ('FAILED', 'KILLED', 'TIMEOUT')


def run(params, check_mode, host):
    if params['timeout'] < 0 or params['poll_interval'] <= 0:
        raise ModuleFailure('timeout must be 0 or more seconds and poll_interval more than 0')
    result = dict(changed=False, name=params['name'], workflow_id=params['workflow_id'], execution_id=None,
                  status=None, message=None)
    try:
        client = SparkflowsClient(**connection_params(params))
        if params['name']:
            result['workflow_id'] = client.workflow_id(params['name'])
        result['changed'] = True
        if check_mode:
            return result
        result['execution_id'] = client.execute_workflow(result['workflow_id'], params['parameters'])
        if params['wait']:
            result['status'], result['message'] = client.wait_for_execution(
                result['execution_id'], params['timeout'], interval=params['poll_interval'])
        else:
            result['status'], result['message'] = client.execution_status(result['execution_id'])
    except SparkflowsError as e:
        raise ModuleFailure(str(e), **result)

    what = 'Workflow %s (execution %s)' % (params['name'] or result['workflow_id'], result['execution_id'])
    if result['status'] in FAILED_STATES:
        raise ModuleFailure('%s ended %s%s' % (what, result['status'],
                                               ': %s' % result['message'] if result['message'] else ''), **result)
    if params['wait'] and result['status'] not in EXECUTION_DONE:
        raise ModuleFailure('%s still %s after timeout=%ss' % (what, result['status'], params['timeout']), **result)
    return result


def run_module():
    run_ansible_module(run, **module_kwargs(ARGUMENT_SPEC, mutually_exclusive=[('name', 'workflow_id')],
                                            required_one_of=[('name', 'workflow_id')]))
