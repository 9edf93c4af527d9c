# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the mlflow_config module: Administration > Configuration > MLflow, idempotently."""

from __future__ import annotations

import re

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import MASK, is_masked, is_secret_key
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    MaskedValues,
    SparkflowsClient,
    SparkflowsError,
    connection_params,
    module_kwargs,
    validate_url,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.answers import value_text

DEPLOY_MODES = ('fire_mlops_server', 'local', 'remote')
# Where Sparkflows deploys registered models besides MLflow: none (nothing about targets is
# written), or one documented target, each configured by the suboptions of the option named like it.
DEPLOYMENT_TARGETS = ('none', 'kubeflow', 'sagemaker')

# Friendly option name -> Sparkflows configuration key: the one table (key_map overrides any
# entry). The suboptions of kubeflow and sagemaker are named here with their option's prefix
# (kubeflow.namespace is kubeflow_namespace). The keys of the MLflow username, password, Fire
# MLOps host and port and SSH key path are not public; the others are Sparkflows' documented ones.
DEFAULT_KEY_MAP = {
    'tracking_url': 'mlops.mlflow.trackingURL',
    'deploy_mode': 'mlops.mlflow.deploy.mode',
    'username': 'mlops.mlflow.username',
    'password': 'mlops.mlflow.password',
    'fire_mlops_host': 'mlops.fire.mlops.host',
    'fire_mlops_port': 'mlops.fire.mlops.port',
    'ssh_key_path': 'mlops.mlflow.ssh.key.path',
    # The S3 registry store of MLflow, as the Fire MLOps server reaches it.
    's3_access_key': 'mlops.aws.s3.access.key',
    's3_secret_key': 'mlops.aws.s3.secret.key',
    's3_endpoint_url': 'mlops.aws.s3.endpoint.url',
    's3_ignore_tls': 'mlops.aws.s3.ignore.tls',
    # The deployment target and its settings.
    'deployment_target': 'mlops.target.deployment',
    'kubeflow_username': 'mlops.kubeflow.username',
    'kubeflow_password': 'mlops.kubeflow.password',
    'kubeflow_namespace': 'mlops.kubeflow.namespace',
    'kubeflow_config_path': 'mlops.kubeflow.config.path',
    'kubeflow_hostport': 'mlops.kubeflow.hostport',
    'kubeflow_docker_registry': 'mlops.docker.registry.sparkflows',
    'kubeflow_docker_context_path': 'mlops.docker.context.path',
    'kubeflow_fire_server_jar_name': 'mlops.fire.server.jar.name',
    'kubeflow_container_port': 'mlops.deployment.container.port',
    'kubeflow_service_port': 'mlops.service.port',
    'kubeflow_service_target_port': 'mlops.service.target.port',
    'kubeflow_timeout': 'mlops.timeout',
    'kubeflow_kubernetes_config_path': 'mlops.kubernetes.config.path',
    'kubeflow_kubernetes_images_namespace': 'mlops.kubernetes.images.namespace',
    'sagemaker_region': 'mlops.region',
    'sagemaker_aws_id': 'mlops.aws_id',
    'sagemaker_arn': 'mlops.arn',
}
# The options of Administration > Configuration > MLflow itself: key_map's default, the MLflow
# configuration sparkflows_info returns (and the fleet report shows) by these names.
MLFLOW_OPTIONS = ('tracking_url', 'deploy_mode', 'username', 'password', 'fire_mlops_host', 'fire_mlops_port',
                  'ssh_key_path')
# The options whose values are secrets, never shown and under update_password: the MLflow one
# (SECRET_OPTIONS, which sparkflows_info masks whatever key_map names it) and all of the table.
SECRET_OPTIONS = ('password',)
ALL_SECRET_OPTIONS = SECRET_OPTIONS + ('s3_access_key', 's3_secret_key', 'kubeflow_password')

KUBEFLOW_SPEC = dict(
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    namespace=dict(type='str'),
    config_path=dict(type='str'),
    hostport=dict(type='str'),
    docker_registry=dict(type='str'),
    docker_context_path=dict(type='str'),
    fire_server_jar_name=dict(type='str'),
    container_port=dict(type='int'),
    service_port=dict(type='int'),
    service_target_port=dict(type='int'),
    timeout=dict(type='int'),
    kubernetes_config_path=dict(type='str'),
    kubernetes_images_namespace=dict(type='str'),
)
SAGEMAKER_SPEC = dict(
    region=dict(type='str'),
    aws_id=dict(type='str'),
    arn=dict(type='str'),
)
TARGET_SPECS = dict(kubeflow=KUBEFLOW_SPEC, sagemaker=SAGEMAKER_SPEC)
# What each target needs. Kubeflow: where the image is built and pushed and how the model's
# service is exposed; its login, kubeconfig paths and host:port stay optional, as Sparkflows
# leaves them empty when it runs inside the Kubernetes cluster. SageMaker: all three.
TARGET_REQUIRED = {
    'kubeflow': ('namespace', 'docker_registry', 'docker_context_path', 'fire_server_jar_name', 'container_port',
                 'service_port', 'service_target_port'),
    'sagemaker': ('region', 'aws_id', 'arn'),
}
TARGET_PORTS = ('container_port', 'service_port', 'service_target_port')
AWS_ID = re.compile(r'^[0-9]{12}$')
# arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (an IAM role: arn:aws:iam::123456789012:role/NAME).
ARN = re.compile(r'^arn:aws(?:-[a-z]+)*:[a-z0-9-]+:[a-z0-9-]*:(?:[0-9]{12})?:\S+$')
AWS_REGION = re.compile(r'^[a-z]{2,}(?:-[a-z]+)+-[0-9]+$')

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
    s3_access_key=dict(type='str', no_log=True),
    s3_secret_key=dict(type='str', no_log=True),
    s3_endpoint_url=dict(type='str'),
    s3_ignore_tls=dict(type='bool'),
    deployment_target=dict(type='str', default='none', choices=list(DEPLOYMENT_TARGETS)),
    kubeflow=dict(type='dict', options=KUBEFLOW_SPEC),
    sagemaker=dict(type='dict', options=SAGEMAKER_SPEC),
    settings=dict(type='dict', default={}),
    secret_settings=dict(type='list', elements='str', default=[], no_log=False),
    key_map=dict(type='dict', default={}, no_log=False),
    write_scope=dict(type='str', default='whole_set', choices=['whole_set', 'changed_entries']),
)

REQUIRED_IF = [
    ('deploy_mode', 'remote', ['ssh_key_path']),
    ('deploy_mode', 'fire_mlops_server', ['fire_mlops_host', 'fire_mlops_port']),
]


def key_map(overrides, options=MLFLOW_OPTIONS):
    """{option: configuration key} of options (the MLflow section by default, as sparkflows_info
    reads it; mlflow_config asks for the whole table, DEFAULT_KEY_MAP), with the overrides applied.
    An override of a name the table does not have raises; one of the table outside options is
    left out (one key_map, a role's sparkflows_mlflow_key_map, serves both)."""
    unknown = sorted(set(overrides) - set(DEFAULT_KEY_MAP))
    if unknown:
        raise SparkflowsError('key_map has unknown option names %s; known: %s'
                              % (', '.join(unknown), ', '.join(sorted(DEFAULT_KEY_MAP))))
    return dict((option, overrides.get(option, DEFAULT_KEY_MAP[option])) for option in options)


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
    validate_target(params)


def given(target, suboptions):
    """The names of the suboptions set (not None) of a target's option, in the order of its spec."""
    suboptions = suboptions or {}
    return [name for name in TARGET_SPECS[target] if suboptions.get(name) is not None]


def validate_target(params):
    """The deployment target's own options: those it needs are set, another target's are not,
    and their values are of the form Sparkflows takes."""
    target = params.get('deployment_target') or 'none'
    foreign = [(name, given(name, params.get(name))) for name in sorted(TARGET_SPECS) if name != target]
    foreign = [(name, names) for name, names in foreign if names]
    if foreign:
        raise SparkflowsError(
            'deployment_target is %s, so the options of %s are refused: %s. Set deployment_target to the target '
            'they configure, or remove them' % (
                target, ' and '.join(name for name, _names in foreign),
                ', '.join('%s.%s' % (name, sub) for name, names in foreign for sub in names)))
    if target == 'none':
        return
    values = params.get(target) or {}
    missing = [name for name in TARGET_REQUIRED[target] if values.get(name) in (None, '')]
    if missing:
        raise SparkflowsError('deployment_target is %s but these options are missing: %s'
                              % (target, ', '.join('%s.%s' % (target, name) for name in missing)))
    if target == 'kubeflow':
        for name in TARGET_PORTS:
            if not 1 <= values[name] <= 65535:
                raise SparkflowsError('kubeflow.%s must be between 1 and 65535, got %d' % (name, values[name]))
        if values.get('timeout') is not None and values['timeout'] < 1:
            raise SparkflowsError('kubeflow.timeout must be at least 1, got %d' % values['timeout'])
    else:
        if not AWS_REGION.match(values['region']):
            raise SparkflowsError('sagemaker.region must be an AWS region such as us-east-1, got %r' % values['region'])
        if not AWS_ID.match(values['aws_id']):
            raise SparkflowsError('sagemaker.aws_id must be the 12 digits of an AWS account id, got %r (quote it in '
                                  'YAML, or a leading zero is lost)' % values['aws_id'])
        if not ARN.match(values['arn']):
            raise SparkflowsError('sagemaker.arn must be an ARN, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE such as '
                                  'arn:aws:iam::123456789012:role/NAME, got %r' % values['arn'])


def option_values(params):
    """{option of the key table: value given (None when not)}: the top-level options, the
    deployment target's name (None for none) and the suboptions of kubeflow and sagemaker
    under their prefixed names."""
    values = dict((option, params.get(option)) for option in DEFAULT_KEY_MAP)
    target = params.get('deployment_target') or 'none'
    values['deployment_target'] = None if target == 'none' else target
    for name in TARGET_SPECS:
        for sub, value in (params.get(name) or {}).items():
            values['%s_%s' % (name, sub)] = value
    return values


def desired_values(params, mapping):
    """{key: value} this task manages (as strings, the way the configuration stores them:
    booleans as true/false)."""
    if params['state'] == 'absent':
        keys = list(mapping.values()) + list(params['settings'])
        return dict((key, '') for key in keys)
    desired = {}
    values = option_values(params)
    for option, key in mapping.items():
        value = values.get(option)
        if value is not None:
            desired[key] = value_text(value)
    for key, value in params['settings'].items():
        desired[key] = value_text(value)
    return desired


def masks_given(desired, secret_keys):
    """The secret keys whose desired value is a mask (_common.masking.is_masked): a value shown masked
    somewhere (sparkflows_info, a report) and given back would be written as the secret."""
    return sorted(key for key, value in desired.items() if (key in secret_keys or is_secret_key(key)) and is_masked(value))


def secret_keys_of(params, mapping):
    """The configuration keys whose values are secrets: those of ALL_SECRET_OPTIONS in mapping (the
    MLflow and Kubeflow passwords, the S3 keys; whatever key_map names them), those of settings
    whose names say so, and those listed in secret_settings."""
    keys = set(mapping[option] for option in ALL_SECRET_OPTIONS if option in mapping) | set(params['secret_settings'])
    return keys | set(key for key in params['settings'] if is_secret_key(key))


def not_kept(written, read_back):
    """{key: value read back} of the written keys the server did not keep. A value read back
    masked (_common.masking.is_masked) counts as kept when a value was written: the server holds one
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
KEPT_HINT = ('. This task gives %s but keeps the stored values (update_password: on_create): update_password: '
             'always writes the values given')


def write(client, read, changes, params, secret_keys, check_mode):
    """Write changes (or, in check mode, make sure they could be written), then prove from a read
    back that the server kept them; a write it did not keep is undone without writing a mask."""
    only = params['write_scope'] == 'changed_entries'
    try:
        written, body = client.configuration_body(read, changes, only)
    except MaskedValues as e:
        kept = sorted(set(e.names) & set(desired_values(params, key_map(params['key_map'], DEFAULT_KEY_MAP))))
        raise SparkflowsError(str(e) + MASKED_HINT + (KEPT_HINT % ', '.join(kept) if kept else ''))
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
                ', '.join(sorted(option for option, key in key_map(params['key_map'], DEFAULT_KEY_MAP).items() if key in lost))
                or 'none'))


def run(params, check_mode, host):
    try:
        mapping = key_map(params['key_map'], DEFAULT_KEY_MAP)
        secret_keys = secret_keys_of(params, mapping)
        validate(params)
        desired = desired_values(params, mapping)
        masks = masks_given(desired, secret_keys)
        if masks:
            raise SparkflowsError('%s would be written as a mask (the form a server shows a secret in), not as the '
                                  'secret: give the value itself, nothing was written' % ', '.join(masks))
        client = SparkflowsClient(**connection_params(params))
        read = client.configurations()
        current = read.text()
        # A value the server shows masked is a secret it keeps: shown masked, under update_password.
        secret_keys |= set(read.masked_names()) & set(desired)
        changes = plan(current, desired, secret_keys, params['update_password'])
        if changes:
            write(client, read, changes, params, secret_keys, check_mode)
    except SparkflowsError as e:
        raise ModuleFailure(str(e))

    result_config = dict(current)
    result_config.update(changes)
    result = dict(
        changed=bool(changes),
        changed_keys=sorted(changes),
        configuration=dict((key, shown(key, result_config.get(key) or '', secret_keys)) for key in sorted(desired)),
    )
    if host.diff:
        result['diff'] = diff_of(current, desired, changes, secret_keys)
    return result


def run_module():
    # Secret settings are hidden from the moment the arguments are read, before any check can
    # fail: never in clear, not even in invocation.module_args (-vvv, JSON callbacks, AWX job events).
    # The kubeflow password too: kubeflow read as a map by name (_common.masking), even before its
    # suboptions are checked.
    run_ansible_module(run, secret_maps={'settings': 'secret_settings', 'kubeflow': None},
                       **module_kwargs(ARGUMENT_SPEC, required_if=REQUIRED_IF))
