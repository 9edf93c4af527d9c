# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The option model of scorer_container: its arguments, their validation, the image tag to run,
and the compared state - desired from the options, observed from the engine's inspect answer
(only the fields the user set, plus the env names this module set before), which differences
apply in place and which recreate."""

from __future__ import annotations

import json
import os

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer import labels as label_keys
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import is_secret, masked
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.engine import (
    ENGINE_ARGSPEC,
    parse_bytes,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import (
    CONTAINER_PORT,
    HEALTH_PATH,
    MODEL_MOUNT,
    SCORING_PATH,
    ImageRuleError,
    checked_tag,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.models import is_size


ARGUMENT_SPEC = dict(
    name=dict(type='str', required=True),
    state=dict(type='str', default='started', choices=['started', 'stopped', 'present', 'absent']),
    image=dict(type='str'),
    image_tag=dict(type='str'),
    image_digest=dict(type='str'),
    sparkflows_release=dict(type='str'),
    image_tag_format=dict(type='str', default='{release}'),
    allow_release_mismatch=dict(type='bool', default=False),
    pull=dict(type='str', default='missing', choices=['missing', 'always', 'never']),
    registry_username=dict(type='str'),
    registry_password=dict(type='str', no_log=True),
    model_path=dict(type='path'),
    model_mount=dict(type='str', default=MODEL_MOUNT),
    model_id=dict(type='str'),
    model_sha256=dict(type='str'),
    container_port=dict(type='int', default=CONTAINER_PORT),
    host_port=dict(type='int'),
    bind_address=dict(type='str', default='0.0.0.0'),
    env=dict(type='dict', default={}),
    secret_env=dict(type='list', elements='str', default=[], no_log=False),
    labels=dict(type='dict', default={}),
    memory=dict(type='str'),
    cpus=dict(type='float'),
    restart_policy=dict(type='str', default='unless-stopped', choices=['no', 'always', 'on-failure', 'unless-stopped']),
    health_path=dict(type='str', default=HEALTH_PATH),
    health_timeout=dict(type='float', default=120.0),
    smoke_path=dict(type='str', default=SCORING_PATH),
    smoke_payload=dict(type='raw'),
    update_strategy=dict(type='str', default='blue_green', choices=['blue_green', 'recreate']),
    stop_timeout=dict(type='int', default=10),
    **ENGINE_ARGSPEC
)
REQUIRED_IF = [
    ('state', 'started', ('image', 'model_path', 'host_port')),
    ('state', 'stopped', ('image', 'model_path')),
    ('state', 'present', ('image', 'model_path')),
]
REQUIRED_TOGETHER = [('registry_username', 'registry_password')]
# The free-form maps whose secret values are hidden from everything the module shows
# (_common/secret_maps.py): env, with the names secret_env adds; labels, by their names only.
SECRET_MAPS = dict(env='secret_env', labels=None)

CPU_PERIOD = 100000


class ScorerError(Exception):
    """One clear message; what was left in place is part of it."""


def image_reference(params):
    """(reference, tag) of the image to run: image@image_digest when a digest is given (a rollback
    returns to the exact image it ran; no tag is used), else image:tag."""
    if params.get('image_digest'):
        return '%s@%s' % (params['image'], params['image_digest']), None
    tag = image_tag(params)
    return '%s:%s' % (params['image'], tag), tag


def repo_digest(image, repository):
    """The registry digest (sha256:...) of a local image (inspect answer) in repository, None
    when it has none (an image built here, never pulled)."""
    for entry in (image or {}).get('RepoDigests') or []:
        name, _sep, digest = entry.partition('@')
        if name == repository and digest:
            return digest
    return None


def image_tag(params):
    """The image tag to run: image_tag, else the Sparkflows release through image_tag_format.
    A tag that does not match the release in use is refused unless explicitly allowed."""
    try:
        tag = checked_tag(params['sparkflows_release'], params['image_tag_format'], params['image_tag'],
                          params['allow_release_mismatch'])
    except ImageRuleError as e:
        raise ScorerError(str(e))
    if not tag:
        raise ScorerError('set image_tag or sparkflows_release (the tag defaults to the release in use)')
    return tag


def validate(params):
    """Bad input, before any call to the engine."""
    if params['state'] == 'absent':
        return
    image = params['image']
    if ':' in image.rsplit('/', 1)[-1] or '@' in image:
        raise ScorerError('image is the repository without a tag (got %s); the tag comes from image_tag '
                          'or sparkflows_release' % image)
    digest = params.get('image_digest')
    if digest and not (digest.startswith('sha256:') and len(digest) == 71
                       and all(c in '0123456789abcdef' for c in digest[7:])):
        raise ScorerError('image_digest must be sha256: and 64 lower-case hex digits, got %s' % digest)
    for option in ('container_port', 'host_port'):
        value = params[option]
        if value is not None and not 1 <= value <= 65535:
            raise ScorerError('%s must be a TCP port between 1 and 65535, got %s' % (option, value))
    if not os.path.exists(params['model_path']):
        raise ScorerError('model_path %s does not exist on this host (fetch it first with '
                          'sparkflows.mlops.sparkflows_model_fetch)' % params['model_path'])
    if not params['model_mount'].startswith('/'):
        raise ScorerError('model_mount must be an absolute path in the container, got %s' % params['model_mount'])
    if params['memory'] and not is_size(params['memory']):
        raise ScorerError('memory must be a size such as 512m or 2g, got %s' % params['memory'])
    if params['cpus'] is not None and params['cpus'] < 0:
        raise ScorerError('cpus must be 0 (no limit) or more, got %s' % params['cpus'])
    if params['health_timeout'] <= 0:
        raise ScorerError('health_timeout must be more than 0 seconds')
    for path in ('health_path', 'smoke_path'):
        if not (params[path] or '/').startswith('/'):
            raise ScorerError('%s must start with /, got %s' % (path, params[path]))
    payload = params['smoke_payload']
    if isinstance(payload, str):
        try:
            params['smoke_payload'] = json.loads(payload)
        except ValueError as e:
            raise ScorerError('smoke_payload is not valid JSON: %s' % e)


def desired_state(params, image_id, tag):
    """The compared fields, only those the user set; the same shape as observed_state()."""
    labels = dict((str(k), str(v)) for k, v in params['labels'].items())
    labels[label_keys.MANAGED] = label_keys.MANAGED_BY
    if params['sparkflows_release']:
        labels[label_keys.RELEASE] = params['sparkflows_release']
    if params['model_id']:
        labels[label_keys.MODEL_ID] = params['model_id']
    if params['model_sha256']:
        labels[label_keys.MODEL_SHA256] = params['model_sha256'].lower()
    env = dict((str(k), str(v)) for k, v in params['env'].items())
    labels[label_keys.ENV_NAMES] = ','.join(sorted(env))
    state = dict(
        image='%s@%s' % (params['image'], params['image_digest']) if params.get('image_digest') else '%s:%s' % (params['image'], tag),
        image_id=image_id,
        model=dict(source=os.path.realpath(params['model_path']), target=params['model_mount'], read_only=True),
        env=env,
        labels=labels,
        restart_policy=params['restart_policy'],
    )
    if params['host_port'] is not None:
        state['port'] = '%s:%d->%d/tcp' % (params['bind_address'], params['host_port'], params['container_port'])
    if params['memory']:
        state['memory'] = parse_bytes(params['memory'])  # 0: no limit
    if params['cpus'] is not None:
        state['cpus'] = round(params['cpus'], 3)
    return state


def observed_state(container, desired):
    """The container's values of the fields in desired (None when it has none)."""
    config, host = container['Config'], container['HostConfig']
    env = dict(item.split('=', 1) for item in config.get('Env') or [] if '=' in item)
    labels = config.get('Labels') or {}
    mount = next((m for m in container.get('Mounts') or [] if m.get('Destination') == desired['model']['target']), None)
    observed = dict(
        image=config.get('Image'),
        image_id=container.get('Image'),
        model=mount and dict(source=mount.get('Source'), target=mount.get('Destination'), read_only=not mount.get('RW')),
        env=dict((key, env.get(key)) for key in desired['env']),
        labels=dict((key, labels.get(key)) for key in desired['labels']),
        restart_policy=(host.get('RestartPolicy') or {}).get('Name') or 'no',
    )
    if 'port' in desired:
        container_port = desired['port'].split('->')[1]
        bindings = (host.get('PortBindings') or {}).get(container_port) or []
        observed['port'] = ', '.join('%s:%s->%s' % (b.get('HostIp') or '0.0.0.0', b.get('HostPort'), container_port)
                                     for b in bindings) or None
    if 'memory' in desired:
        observed['memory'] = host.get('Memory') or 0
    if 'cpus' in desired:
        if host.get('NanoCpus'):
            observed['cpus'] = round(host['NanoCpus'] / 1e9, 3)
        elif host.get('CpuQuota', 0) > 0 and host.get('CpuPeriod'):
            observed['cpus'] = round(float(host['CpuQuota']) / host['CpuPeriod'], 3)
        else:
            observed['cpus'] = 0
    return observed


# Differences in these fields are applied to the running container; any other recreates it.
IN_PLACE = ('restart_policy', 'memory', 'cpus')


def in_place(field, desired):
    """Whether a difference in field can be applied to the running container: the engine
    treats a limit of 0 in an update as "unchanged", so lifting a limit recreates."""
    return field in IN_PLACE and (field == 'restart_policy' or bool(desired[field]))


def limits(desired):
    """Engine arguments of the limits in desired, the same at create and at update."""
    return dict(
        mem_limit=desired.get('memory') or None,
        memswap_limit=-1 if desired.get('memory') else None,
        cpu_period=CPU_PERIOD if desired.get('cpus') else None,
        cpu_quota=int(desired['cpus'] * CPU_PERIOD) if desired.get('cpus') else None,
    )


def differences(observed, desired):
    return sorted(key for key in desired if observed.get(key) != desired[key])


def secret_labels(params):
    """The names of the labels given whose names look secret (their values are hidden, and the
    module warns: labels are container metadata, not a place for secrets)."""
    return sorted(str(name) for name in params['labels'] if is_secret(name))


def for_diff(state, secret_env=()):
    """A state as shown in --diff: the secret env values (secret-looking names, and those of
    secret_env) and secret-looking label values masked."""
    if not state:
        return {}
    shown = dict(state)
    shown['env'] = masked(state.get('env') or {}, secret_env)
    shown['labels'] = masked(state.get('labels') or {})
    return shown
