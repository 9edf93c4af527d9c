# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the mlflow_config module: Administration > Configuration > MLflow, idempotently."""

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._masking import MASK, is_masked, is_secret_key
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_client import (
    MaskedValues,
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
    validate_url,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows_answers import value_text
from ansible_collections.sparkflows.mlops.plugins.module_utils._secret_maps import SecretMapsModule

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
    write_scope=dict(type='str', default='whole_set', choices=['whole_set', 'changed_entries']),
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


def not_kept(written, read_back):
    """{key: value read back} of the written keys the server did not keep. A value read back
    masked (_masking.is_masked) counts as kept when a value was written: the server holds one
    but will not show it."""
    lost = {}
    for key, value in written.items():
        stored = read_back.get(key, '')
        if not (stored == value or (value and is_masked(stored))):
            lost[key] = stored
    return lost


def restore_values(original, changes):
    """{key: text} that puts the changed keys back as they were read: a key read empty or not at
    all is emptied; a key read masked cannot be put back (its value is unknown) and keeps the
    value written, so that no mask is ever written."""
    return dict((key, changes[key] if is_masked(original.get(key)) else value_text(original.get(key)))
                for key in changes)


def dropped(before, after, changes):
    """The keys read with a value before a write and absent after it, but those written."""
    return sorted(key for key, value in before.items() if key not in changes and value_text(value) and key not in after)


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


MASKED_HINT = ('. If this Sparkflows keeps the settings a POST does not name, set write_scope: changed_entries '
               '(only the changed entries are written); otherwise give these values in settings (with their '
               'names in secret_settings), so that the whole set can be written with them')


def write(client, read, changes, params, secret_keys, check_mode):
    """Write changes (or, in check mode, make sure they could be written), then prove from a read
    back that the server kept them; a write it did not keep is undone without writing a mask."""
    only = params['write_scope'] == 'changed_entries'
    try:
        written, body = client.configuration_body(read, changes, only)
    except MaskedValues as e:
        raise SparkflowsError(str(e) + MASKED_HINT)
    if check_mode:
        return
    client.save_configurations(body)
    after = client.configurations().text()
    lost = not_kept(changes, after)
    gone = dropped(written.values, after, changes) if only else []
    if gone:
        raise SparkflowsError(
            'Sparkflows replaced its whole configuration set with the %d changed entries: %s are gone. This '
            'server does not keep what a POST leaves out, so write_scope: changed_entries is wrong for it; '
            'set those settings again by hand (Administration > Configuration)' % (len(changes), ', '.join(gone)))
    if lost:
        client.save_configurations(written.body(restore_values(written.values, changes)) if not only
                                   else written.changed_entries(restore_values(written.values, changes)))
        unknown = sorted(key for key in changes if is_masked(written.values.get(key)))
        raise SparkflowsError(
            'Sparkflows did not keep %s; the configuration was restored as it was read%s. Sparkflows may name '
            'these settings differently: set their names with key_map (for the options %s) or correct them in '
            'settings.' % (
                ', '.join('%s (reads back %r)' % (key, shown(key, lost[key], secret_keys)) for key in sorted(lost)),
                ' (but for %s, which it showed masked: written as given)' % ', '.join(unknown) if unknown else '',
                ', '.join(sorted(option for option, key in key_map(params['key_map']).items() if key in lost))
                or 'none'))


def run_module():
    # Secret settings are hidden from the moment the arguments are read, before any check can
    # fail: never in clear, not even in invocation.module_args (-vvv, JSON callbacks, AWX job events).
    module = SecretMapsModule(secret_maps={'settings': 'secret_settings'},
                              **module_kwargs(ARGUMENT_SPEC, required_if=REQUIRED_IF))
    params = module.params
    try:
        mapping = key_map(params['key_map'])
        secret_keys = secret_keys_of(params, mapping)
        validate(params)
        desired = desired_values(params, mapping)
        client = SparkflowsClient(**connection_params(params))
        read = client.configurations()
        current = read.text()
        # A value the server shows masked is a secret it keeps: shown masked, under update_password.
        secret_keys |= set(read.masked_names()) & set(desired)
        changes = plan(current, desired, secret_keys, params['update_password'])
        if changes:
            write(client, read, changes, params, secret_keys, module.check_mode)
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
