# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Logic of the scorer_info module: read the scorer containers on a host (what they run, from
their labels), ask each running one its health route and, given a sample, a score, and read
the host's deployment history (the previous version of each, the last changes). Reads only:
nothing is started, stopped or changed."""

from __future__ import annotations

import json

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer import labels as label_keys
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.engine import (
    DOCKER_IMPORT_ERROR,
    ENGINE_ARGSPEC,
    HAS_DOCKER,
    DockerException,
    EngineError,
    EngineUnreachable,
    NotFound,
    connect,
    published_url,
    unreachable,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import masked
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.history import previous_good, read as read_history
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.http import timed_call
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import (
    CONTAINER_PORT,
    HEALTH_PATH,
    MODEL_MOUNT,
    SCORING_PATH,
)

ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    container_port=dict(type='int', default=CONTAINER_PORT),
    health_path=dict(type='str', default=HEALTH_PATH),
    scoring_path=dict(type='str', default=SCORING_PATH),
    sample=dict(type='raw'),
    timeout=dict(type='float', default=10.0),
    probe=dict(type='bool', default=True),
    model_mount=dict(type='str', default=MODEL_MOUNT),
    history_path=dict(type='path'),
    prefix=dict(type='str'),
    history_size=dict(type='int', default=20),
    **ENGINE_ARGSPEC
)


def describe(container, name, container_port, model_mount=MODEL_MOUNT):
    """A scorer as the module returns it, from an inspect answer (None: no such container)."""
    if container is None:
        return dict(name=name, exists=False, running=False)
    config, state = container['Config'], container['State']
    labels = config.get('Labels') or {}
    url = published_url(container, container_port) if state.get('Running') else None
    mount = next((m for m in container.get('Mounts') or [] if m.get('Destination') == model_mount), {})
    return dict(
        name=container['Name'].lstrip('/'), exists=True, id=container['Id'],
        running=bool(state.get('Running')), status=state.get('Status'),
        health_status=(state.get('Health') or {}).get('Status'),
        image=config.get('Image'), image_id=container.get('Image'),
        release=labels.get(label_keys.RELEASE), model_id=labels.get(label_keys.MODEL_ID),
        model_sha256=labels.get(label_keys.MODEL_SHA256), model_path=mount.get('Source'),
        # Never the container's env; a label whose name looks secret is masked (scorer_container's rule).
        labels=masked(dict((k, v) for k, v in labels.items() if k.startswith(label_keys.PREFIX))),
        url=url,
    )


def managed_names(client):
    """The names of the containers scorer_container made on this engine."""
    found = client.containers(all=True, filters={'label': '%s=%s' % (label_keys.MANAGED, label_keys.MANAGED_BY)})
    return sorted(c['Names'][0].lstrip('/') for c in found)


def read(client, params):
    names = [params['name']] if params['name'] else [
        name for name in managed_names(client) if not params['prefix'] or name.startswith(params['prefix'])]
    scorers = []
    for name in names:
        try:
            container = client.inspect_container(name)
        except NotFound:
            container = None
        scorer = describe(container, name, params['container_port'], params['model_mount'])
        if scorer['url'] and params['probe']:
            scorer['health'] = timed_call(scorer['url'] + params['health_path'], timeout=params['timeout'])
            if params['sample']:
                scorer['score'] = timed_call(scorer['url'] + params['scoring_path'], params['sample'],
                                             timeout=params['timeout'])
        # Healthy: running, its health route answers 2xx, and so does the sample when one is given.
        checks = [scorer[check] for check in ('health', 'score') if check in scorer]
        scorer['healthy'] = bool(scorer['url']) and all(
            check['status'] is not None and 200 <= check['status'] < 300 for check in checks)
        scorers.append(scorer)
    return scorers


def with_history(scorers, records, prefix):
    """Each scorer's previous version that served (None without one): the scorer of a container
    is its name without the prefix, its current version (model sha256, image digest) from what
    the history recorded of the image id it runs."""
    digests = dict((r.get('image_id'), r.get('image_digest')) for r in records if r.get('image_id') and r.get('image_digest'))
    for scorer in scorers:
        name = scorer['name'][len(prefix):] if prefix and scorer['name'].startswith(prefix) else scorer['name']
        current = (scorer.get('model_sha256') or '', digests.get(scorer.get('image_id')) or scorer.get('image_id') or '')
        scorer['scorer'] = name
        scorer['previous'] = previous_good(records, name, current) if scorer['exists'] else None
    return scorers


def run(params, check_mode, host):
    if not HAS_DOCKER:
        raise ModuleFailure(missing_required_lib('docker (the Docker SDK for Python)'), exception=str(DOCKER_IMPORT_ERROR))
    for path in ('health_path', 'scoring_path'):
        if not params[path].startswith('/'):
            raise ModuleFailure('%s must start with /, got %s' % (path, params[path]))
    if isinstance(params['sample'], str) and params['sample'].strip():
        try:
            params['sample'] = json.loads(params['sample'])
        except ValueError as e:
            raise ModuleFailure('sample is not valid JSON: %s' % e)
    if params['timeout'] <= 0:
        raise ModuleFailure('timeout must be more than 0 seconds, got %s' % params['timeout'])
    if params['history_size'] < 0:
        raise ModuleFailure('history_size must be 0 or more, got %s' % params['history_size'])
    try:
        scorers = read(connect(params), params)
    except EngineError as e:
        raise ModuleFailure(str(e))
    except EngineUnreachable as e:
        raise ModuleFailure(str(unreachable(params, e)))
    except DockerException as e:
        raise ModuleFailure('Docker Engine error: %s' % e)
    result = dict(changed=False, scorers=scorers)
    if params['history_path']:
        records = read_history(params['history_path'])
        with_history(scorers, records, params['prefix'])
        result['deployments'] = records[-params['history_size']:] if params['history_size'] else []
    return result


def run_module():
    run_ansible_module(run, ARGUMENT_SPEC, supports_check_mode=True)
