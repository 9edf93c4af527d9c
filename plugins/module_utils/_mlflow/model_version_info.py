# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the module mlflow_model_version_info: which version of a registered model a model
URI names - `models:/NAME/VERSION`, or `models:/NAME@ALIAS` resolved by asking the registry now -
read through MLflow's REST API, changing nothing. What a served model runs is then pinned to that
version (`models:/NAME/VERSION`), so that a moved alias is a change the role can see."""

from __future__ import annotations

import re

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.tracking_api import (
    CONNECTION_SPEC, TrackingApi, TrackingApiError, connection_problems)

ARGUMENT_SPEC = dict(
    CONNECTION_SPEC,
    model_uri=dict(type='str', required=True),
)
# models:/NAME/VERSION or models:/NAME@ALIAS; a registered model's name holds no "/" and no "@".
MODEL_URI = re.compile(r'^models:/(?P<name>[^/@]+)(?:/(?P<version>[0-9]+)|@(?P<alias>[^/@]+))$')
# What the module returns of the registry's model version.
FIELDS = ('name', 'version', 'source', 'run_id', 'status', 'current_stage', 'aliases')


def parse(model_uri):
    """(name, version, alias) of a registry model URI (one of version or alias), or a ModuleFailure."""
    found = MODEL_URI.match(model_uri or '')
    if not found:
        raise ModuleFailure('model_uri must be models:/NAME/VERSION or models:/NAME@ALIAS, got %r' % model_uri,
                            changed=False)
    return found.group('name'), found.group('version'), found.group('alias')


def names_an_alias(model_uri):
    """Whether a model URI names an alias (models:/NAME@ALIAS): what it serves moves with the
    registry, not with the inventory."""
    found = MODEL_URI.match(model_uri or '')
    return bool(found and found.group('alias'))


def version_of(answer, what):
    """The model version of an answer, checked: MLflow's field names, a version number."""
    version = answer.get('model_version') if isinstance(answer, dict) else None
    if not isinstance(version, dict) or not str(version.get('version', '')).isdigit() or not version.get('name'):
        raise ModuleFailure('%s: the answer holds no model version with a name and a number' % what, changed=False)
    return dict((field, version.get(field)) for field in FIELDS if field in version)


def run(params, check_mode, host):
    problems = connection_problems(params)
    if problems:
        raise ModuleFailure('; '.join(problems), problems=problems, changed=False)
    name, version, alias = parse(params['model_uri'])
    api = TrackingApi(params)
    if alias:
        path, query = '/registered-models/alias', dict(name=name, alias=alias)
    else:
        path, query = '/model-versions/get', dict(name=name, version=version)
    try:
        found = version_of(api.call('GET', path, query=query), 'GET %s' % path)
    except TrackingApiError as error:
        # MLflow answers a missing alias 400 and a missing model or version 404: its words say which.
        raise ModuleFailure('Cannot read %s from the registry: %s' % (params['model_uri'], error), changed=False)
    if found['name'] != name or (version and str(found['version']) != version):
        raise ModuleFailure('GET %s: asked for %s, MLflow answered version %s of %s'
                            % (path, params['model_uri'], found['version'], found['name']), changed=False)
    found['version'] = str(found['version'])
    return dict(changed=False, model_version=found, alias=alias,
                pinned_uri='models:/%s/%s' % (name, found['version']))


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
