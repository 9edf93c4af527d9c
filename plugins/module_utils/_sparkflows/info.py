# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the sparkflows_info module: is the server up, which release, who am I, and the MLflow
configuration it holds. Reads only; secret values never leave it in clear."""

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.mlflow_config import SECRET_OPTIONS, key_map, shown
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.answers import value_text

ARGUMENT_SPEC = dict(
    configuration_prefixes=dict(type='list', elements='str', default=['mlops.']),
    mlflow=dict(type='bool', default=False),
    mlflow_key_map=dict(type='dict', default={}, no_log=False),
)


def mlflow_configuration(everything, mapping):
    """{option of mlflow_config: value the server holds} through mapping (option: key, mlflow_config's
    key map), '' for a key it does not hold; secret values masked as mlflow_config shows them (the
    password's, and those of keys whose names say secret), empty ones left empty."""
    secret_keys = set(mapping[option] for option in SECRET_OPTIONS)
    return dict((option, shown(key, value_text(everything.get(key)), secret_keys)) for option, key in mapping.items())


def configuration_shown(everything, prefixes, secret_keys):
    """The keys that start with one of prefixes, secret values masked: those whose names say
    secret, and secret_keys (the MLflow password's key, whatever key_map names it)."""
    return dict((key, shown(key, value, secret_keys)) for key, value in everything.items() if key.startswith(prefixes))


def run(params, check_mode, host):
    result = dict(changed=False)
    try:
        # The key map and its rule are mlflow_config's: an unknown option name fails before any request.
        try:
            mapping = key_map(params['mlflow_key_map'])
        except SparkflowsError as e:
            raise SparkflowsError('mlflow_key_map (mlflow_config\'s key_map): %s' % e)
        secret_keys = set(mapping[option] for option in SECRET_OPTIONS)
        client = SparkflowsClient(**connection_params(params))
        result['health'] = client.health()
        result['release'], result['release_info'] = client.release()
        result['about'] = client.about()
        result['user'] = client.user_info()
        result['is_admin'] = client.is_admin()
        result['configuration'] = None
        if params['mlflow']:
            result['mlflow'] = None
        if result['is_admin']:
            everything = client.configurations().text()
            result['configuration'] = configuration_shown(everything, tuple(params['configuration_prefixes']),
                                                          secret_keys)
            if params['mlflow']:
                result['mlflow'] = mlflow_configuration(everything, mapping)
        else:
            host.warn('The Sparkflows user is not an administrator: configuration is not returned.')
    except SparkflowsError as e:
        raise ModuleFailure(str(e), **result)
    return result


def run_module():
    run_ansible_module(run, **module_kwargs(ARGUMENT_SPEC))
