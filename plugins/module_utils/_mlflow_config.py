# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the mlflow_config module: Administration > Configuration > MLflow, idempotently."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sparkflows.mlops.plugins.module_utils._masking import MASK, is_secret_key
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import (
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
    validate_url,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_answers import value_text

DEPLOY_MODES = ('fire_mlops_server', 'local', 'remote')

# Friendly option name -> Sparkflows configuration key. The keys of tracking URL and deploy
# mode are documented; the others are not public, so key_map can override any of them.
DEFAULT_KEY_MAP = {
    'tracking_url': 'mlops.mlflow.trackingURL',
    'deploy_mode': 'mlops.mlflow.deploy.mode',
    'username': 'mlops.mlflow.username',
    'password': 'mlops.mlflow.password',
    'fire_mlops_host': 'mlops.fire.mlops.host',
    'fire_mlops_port': 'mlops.fire.mlops.port',
    'ssh_key_path': 'mlops.mlflow.ssh.key.path',
}
SECRET_OPTIONS = ('password',)

ARGUMENT_SPEC = dict(
    state=dict(type='str', default='present', choices=['present', 'absent']),
    tracking_url=dict(type='str'),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    update_password=dict(type='str', default='always', choices=['always', 'on_create'], no_log=False),
    deploy_mode=dict(type='str', choices=list(DEPLOY_MODES)),
    fire_mlops_host=dict(type='str'),
    fire_mlops_port=dict(type='int'),
    ssh_key_path=dict(type='str', no_log=False),
    settings=dict(type='dict', default={}),
    secret_settings=dict(type='list', elements='str', default=[], no_log=False),
    key_map=dict(type='dict', default={}, no_log=False),
)

REQUIRED_IF = [
    ('deploy_mode', 'remote', ['ssh_key_path']),
    ('deploy_mode', 'fire_mlops_server', ['fire_mlops_host', 'fire_mlops_port']),
]


def key_map(overrides):
    unknown = sorted(set(overrides) - set(DEFAULT_KEY_MAP))
    if unknown:
        raise SparkflowsError('key_map has unknown option names %s; known: %s'
                              % (', '.join(unknown), ', '.join(sorted(DEFAULT_KEY_MAP))))
    mapping = dict(DEFAULT_KEY_MAP)
    mapping.update(overrides)
    return mapping


def validate(params):
    """Checks the argument spec cannot express; raises before anything is sent."""
    if params['tracking_url'] is not None:
        validate_url(params['tracking_url'], 'tracking_url')
    port = params['fire_mlops_port']
    if port is not None and not 1 <= port <= 65535:
        raise SparkflowsError('fire_mlops_port must be between 1 and 65535, got %d' % port)
    for name, value in params['settings'].items():
        if not isinstance(value, (str, int, float, bool)):
            raise SparkflowsError('settings.%s must be a string, number or boolean' % name)


def desired_values(params, mapping):
    """{key: value} this task manages (as strings, the way the configuration stores them)."""
    if params['state'] == 'absent':
        keys = list(mapping.values()) + list(params['settings'])
        return dict((key, '') for key in keys)
    desired = {}
    for option, key in mapping.items():
        value = params.get(option)
        if value is not None:
            desired[key] = str(value)
    for key, value in params['settings'].items():
        desired[key] = value_text(value)
    return desired


def secret_keys_of(params, mapping):
    """The configuration keys whose values are secrets: the password's, those of settings whose
    names say so, and those listed in secret_settings."""
    keys = set(mapping[option] for option in SECRET_OPTIONS) | set(params['secret_settings'])
    return keys | set(key for key in params['settings'] if is_secret_key(key))


def not_kept(written, read_back, secret_keys):
    """{key: value read back} of the written keys the server did not keep. A secret counts as
    kept when it is there and not empty (a server may mask secrets when it answers)."""
    lost = {}
    for key, value in written.items():
        stored = read_back.get(key, '')
        kept = bool(stored) == bool(value) if key in secret_keys else stored == value
        if not kept:
            lost[key] = stored
    return lost


def plan(current, desired, secret_keys, update_password):
    """The keys to write: only those whose stored value differs from the desired one."""
    changes = {}
    for key, value in desired.items():
        stored = value_text(current.get(key))
        if key in secret_keys and update_password == 'on_create' and stored and value:
            continue
        if stored != value:
            changes[key] = value
    return changes


def shown(key, value, secret_keys):
    if key in secret_keys or is_secret_key(key):
        return MASK if value else ''
    return value


def diff_of(current, desired, changes, secret_keys):
    """before/after of the managed keys; secrets masked, a changed secret marked as such."""
    before, after = {}, {}
    for key in sorted(desired):
        old = value_text(current.get(key))
        new = changes.get(key, old)
        before[key] = shown(key, old, secret_keys)
        after[key] = shown(key, new, secret_keys)
        if key in changes and before[key] == after[key]:
            after[key] = MASK + ' (changed)'
    return {'before': before, 'after': after}


def run_module():
    module = AnsibleModule(**module_kwargs(ARGUMENT_SPEC, required_if=REQUIRED_IF))
    params = module.params
    try:
        mapping = key_map(params['key_map'])
        secret_keys = secret_keys_of(params, mapping)
        # Before anything can fail or return: secret values never leave the module in clear,
        # not even in invocation.module_args (-vvv, JSON callbacks, AWX job events).
        for key, value in params['settings'].items():
            if key in secret_keys and value_text(value):
                module.no_log_values.add(value_text(value))
        validate(params)
        desired = desired_values(params, mapping)
        client = SparkflowsClient(**connection_params(params))
        read = client.configurations()
        current = read.text()
        changes = plan(current, desired, secret_keys, params['update_password'])
        if changes and not module.check_mode:
            client.save_configurations(read, changes)
            lost = not_kept(changes, client.configurations().text(), secret_keys)
            if lost:
                # Back to the set as read; a key it did not hold is emptied (no value, as read).
                client.save_configurations(read, dict((key, '') for key in changes if key not in read.values))
                raise SparkflowsError(
                    'Sparkflows did not keep %s; the configuration was restored as it was read. Sparkflows '
                    'may name these settings differently: set their names with key_map (for the options %s) '
                    'or correct them in settings.' % (
                        ', '.join('%s (reads back %r)' % (key, shown(key, lost[key], secret_keys))
                                  for key in sorted(lost)),
                        ', '.join(sorted(option for option, key in mapping.items() if key in lost)) or 'none'))
    except SparkflowsError as e:
        module.fail_json(msg=str(e))

    result_config = dict(current)
    result_config.update(changes)
    result = dict(
        changed=bool(changes),
        changed_keys=sorted(changes),
        configuration=dict((key, shown(key, result_config.get(key) or '', secret_keys)) for key in sorted(desired)),
    )
    if module._diff:
        result['diff'] = diff_of(current, desired, changes, secret_keys)
    module.exit_json(**result)
