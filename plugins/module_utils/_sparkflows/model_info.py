# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_model_info module: the records of a list of models, read once for every
host that serves them (role scorer's plan), and the ETag of each model's file. Reads only, in at
most 2 + 2 x models requests: the release, the model list (once for every model chosen by id or
name), a model chosen by uuid, and a HEAD of each model's file."""

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
)

SELECTORS = ('model_id', 'model_uuid', 'model_name')
ARGUMENT_SPEC = dict(
    models=dict(type='list', elements='dict', required=True, options=dict(
        key=dict(type='str', no_log=False),
        model_id=dict(type='str'),
        model_uuid=dict(type='str'),
        model_name=dict(type='str'),
        stage=dict(type='str'),
        file_type=dict(type='str'),
    ), mutually_exclusive=[SELECTORS], required_one_of=[SELECTORS]),
    file_type=dict(type='str', default='zip'),
    release=dict(type='bool', default=False),
)
# The fields of a record returned, and compared by sparkflows_model_fetch's model option.
RECORD_FIELDS = ('id', 'uuid', 'name', 'version', 'stage')


class ListedOnce(SparkflowsClient):
    """A client that asks for the model list at most once, however many models it selects."""

    _listed = None

    def output_models(self):
        if self._listed is None:
            self._listed = super(ListedOnce, self).output_models()
        return [dict(m) for m in self._listed]


def record(client, selector, file_type):
    """One model's record: its fields, the file type and the ETag its file is served with (None
    when the server sends none)."""
    if selector['stage'] and not selector['model_name']:
        raise SparkflowsError('stage selects among the versions of model_name; set model_name (model %s)'
                              % (selector['model_id'] or selector['model_uuid']))
    model = client.select_model(selector['model_id'], selector['model_uuid'], selector['model_name'],
                                selector['stage'])
    found = dict((key, model.get(key)) for key in RECORD_FIELDS)
    file_type = selector['file_type'] or file_type
    headers, response = client.open_download(model['id'], file_type, method='HEAD')[1:]
    response.close()
    found.update(file_type=file_type, etag=headers.get('ETag'))
    return found


def distinct(selectors):
    """The selectors, each key once: the same key twice must select the same model (several hosts
    serving one model list it each)."""
    seen = {}
    for selector in selectors:
        key = selector['key']
        if key is None:
            seen[len(seen), None] = selector
        elif (key, 'key') not in seen:
            seen[key, 'key'] = selector
        elif seen[key, 'key'] != selector:
            raise SparkflowsError('models with key %s select different models: %s and %s'
                                  % (key, shown(seen[key, 'key']), shown(selector)))
    return list(seen.values())


def shown(selector):
    return ', '.join('%s=%s' % (name, value) for name, value in sorted(selector.items()) if value is not None)


def run(params, check_mode, host):
    result = dict(changed=False)
    try:
        selectors = distinct(params['models'])
        client = ListedOnce(**connection_params(params))
        if params['release']:
            result['release'] = client.release()[0]
        result['models'] = [dict(record(client, selector, params['file_type']), key=selector['key'])
                            for selector in selectors]
    except SparkflowsError as e:
        raise ModuleFailure(str(e), **result)
    return result


def run_module():
    run_ansible_module(run, **module_kwargs(ARGUMENT_SPEC))
