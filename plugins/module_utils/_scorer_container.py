# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The standalone Docker scorer: one container per model, release-matched, health-gated.

Private to this collection. Uses the Docker SDK for Python's low-level APIClient: a no-op run
costs two inspect calls. Only the fields the user set are compared, plus the environment names
this module set before (recorded in a label, so a name dropped from env is dropped from the
container); restart policy and new or changed memory and CPU limits are updated in place,
everything else (a limit lifted too: the engine cannot lift one in place) recreates the
container, blue/green when it serves.
"""

from __future__ import annotations

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.sparkflows.mlops.plugins.module_utils import _scorer_labels as label_keys
from ansible_collections.sparkflows.mlops.plugins.module_utils._masking import MASK, is_secret_key
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_engine import (
    DOCKER_IMPORT_ERROR,
    ENGINE_ARGSPEC,
    HAS_DOCKER,
    POLL_SECONDS,
    APIError,
    DockerException,
    EngineError,
    ImageNotFound,
    NotFound,
    connect,
    parse_bytes,
    wait_published_url,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_http import http_call
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_image import ImageRuleError, expected_tag, registry_of

ARGUMENT_SPEC = dict(
    name=dict(type='str', required=True),
    state=dict(type='str', default='started', choices=['started', 'stopped', 'present', 'absent']),
    image=dict(type='str'),
    image_tag=dict(type='str'),
    sparkflows_release=dict(type='str'),
    image_tag_format=dict(type='str', default='{release}'),
    allow_release_mismatch=dict(type='bool', default=False),
    pull=dict(type='str', default='missing', choices=['missing', 'always', 'never']),
    registry_username=dict(type='str'),
    registry_password=dict(type='str', no_log=True),
    model_path=dict(type='path'),
    model_mount=dict(type='str', default='/opt/sparkflows/model'),
    model_id=dict(type='str'),
    model_sha256=dict(type='str'),
    container_port=dict(type='int', default=8080),
    host_port=dict(type='int'),
    bind_address=dict(type='str', default='0.0.0.0'),
    env=dict(type='dict', default={}),
    labels=dict(type='dict', default={}),
    memory=dict(type='str'),
    cpus=dict(type='float'),
    restart_policy=dict(type='str', default='unless-stopped', choices=['no', 'always', 'on-failure', 'unless-stopped']),
    health_path=dict(type='str', default='/health'),
    health_timeout=dict(type='float', default=120.0),
    smoke_path=dict(type='str', default='/predict'),
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

CPU_PERIOD = 100000
LOG_TAIL = 20


class ScorerError(Exception):
    """One clear message; what was left in place is part of it."""


def image_tag(params):
    """The image tag to run: image_tag, else the Sparkflows release through image_tag_format.
    A tag that does not match the release in use is refused unless explicitly allowed."""
    release = params['sparkflows_release']
    expected = None
    if release:
        try:
            expected = expected_tag(release, params['image_tag_format'])
        except ImageRuleError as e:
            raise ScorerError(str(e))
    tag = params['image_tag'] or expected
    if not tag:
        raise ScorerError('set image_tag or sparkflows_release (the tag defaults to the release in use)')
    if expected and tag != expected and not params['allow_release_mismatch']:
        raise ScorerError('image tag %s does not match Sparkflows release %s (expected tag %s); '
                          'set allow_release_mismatch to run it anyway' % (tag, release, expected))
    return tag


def validate(params):
    """Bad input, before any call to the engine."""
    if params['state'] == 'absent':
        return
    image = params['image']
    if ':' in image.rsplit('/', 1)[-1] or '@' in image:
        raise ScorerError('image is the repository without a tag (got %s); the tag comes from image_tag '
                          'or sparkflows_release' % image)
    for option in ('container_port', 'host_port'):
        value = params[option]
        if value is not None and not 1 <= value <= 65535:
            raise ScorerError('%s must be a TCP port between 1 and 65535, got %s' % (option, value))
    if not os.path.exists(params['model_path']):
        raise ScorerError('model_path %s does not exist on this host (fetch it first with '
                          'sparkflows.mlops.sparkflows_model_fetch)' % params['model_path'])
    if not params['model_mount'].startswith('/'):
        raise ScorerError('model_mount must be an absolute path in the container, got %s' % params['model_mount'])
    if params['memory']:
        try:
            parse_bytes(params['memory'])
        except DockerException:
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
        image='%s:%s' % (params['image'], tag),
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


def for_diff(state):
    """A state as shown in --diff: secret-looking env values masked."""
    if not state:
        return {}
    shown = dict(state)
    shown['env'] = dict((k, MASK if is_secret_key(k) else v) for k, v in state.get('env', {}).items())
    return shown


class Scorer(object):
    """Drives one scorer container through the engine; every step is recorded in actions."""

    def __init__(self, module, client):
        self.module = module
        self.params = module.params
        self.client = client
        self.actions = []

    # --- engine access -------------------------------------------------------------------
    def inspect(self, name):
        try:
            return self.client.inspect_container(name)
        except NotFound:
            return None

    def auth_config(self):
        if self.params['registry_username']:
            return dict(username=self.params['registry_username'], password=self.params['registry_password'])
        return None

    def explain_registry_error(self, reference, error):
        text = str(getattr(error, 'explanation', None) or error)
        registry = registry_of(self.params['image']) or 'docker.io'
        lowered = text.lower()
        if 'unauthorized' in lowered or 'authentication required' in lowered or 'denied' in lowered:
            who = self.params['registry_username'] or 'anonymous access'
            return 'registry %s refused %s for %s: %s' % (registry, who, reference, text)
        if 'manifest unknown' in lowered or 'not found' in lowered:
            return 'image %s is not in registry %s (is the scorer image of this release pushed?): %s' % (
                reference, registry, text)
        return 'cannot pull %s from %s: %s' % (reference, registry, text)

    def local_image(self, reference):
        """The host's image of reference (inspect answer), None when it has none."""
        try:
            return self.client.inspect_image(reference)
        except ImageNotFound:
            return None

    def remote_digest(self, reference):
        try:
            return self.client.inspect_distribution(reference, auth_config=self.auth_config())['Descriptor']['digest']
        except APIError as e:
            raise ScorerError(self.explain_registry_error(reference, e))

    def ensure_image(self, reference):
        """(image id or None in check mode when it would be pulled, whether it changed)."""
        pull = self.params['pull']
        image = self.local_image(reference)
        local = image and image['Id']
        if pull == 'never':
            if not local:
                raise ScorerError('image %s is not on this host and pull is never' % reference)
            return local, False
        if pull == 'missing' and local:
            return local, False
        if self.module.check_mode:
            digest = self.remote_digest(reference)
            if local and any(d.endswith('@' + digest) for d in image.get('RepoDigests') or []):
                return local, False
            return None, True
        repository, tag = reference.rsplit(':', 1)
        try:
            self.client.pull(repository, tag=tag, auth_config=self.auth_config())
        except APIError as e:
            raise ScorerError(self.explain_registry_error(reference, e))
        pulled = self.local_image(reference)['Id']
        if pulled != local:
            self.actions.append('pulled %s' % reference)
        return pulled, pulled != local

    def create(self, name, desired, host_ip, host_port):
        params = self.params
        host_config = self.client.create_host_config(
            binds={desired['model']['source']: dict(bind=desired['model']['target'], mode='ro')},
            port_bindings={params['container_port']: (host_ip, host_port)},
            restart_policy=dict(Name=desired['restart_policy']),
            **limits(desired)
        )
        container = self.client.create_container(
            desired['image'], name=name, labels=desired['labels'],
            environment=desired['env'], ports=[params['container_port']], host_config=host_config,
            stop_timeout=params['stop_timeout'])
        self.actions.append('created %s' % name)
        return container['Id']

    def start(self, name, container_id):
        """Start a container; the caller decides what becomes of it when that fails."""
        try:
            self.client.start(container_id)
        except APIError as e:
            text = str(e.explanation or e)
            if 'port is already allocated' in text or 'address already in use' in text:
                raise ScorerError('host port %s on %s is already taken by something else; %s not started'
                                  % (self.params['host_port'], self.params['bind_address'], name))
            raise ScorerError('cannot start %s: %s' % (name, text))
        self.actions.append('started %s' % name)

    def remove(self, container_id):
        try:
            self.client.remove_container(container_id, force=True)
        except NotFound:
            pass

    def logs_tail(self, container_id):
        try:
            return self.client.logs(container_id, tail=LOG_TAIL).decode('utf-8', 'replace').strip()
        except (APIError, NotFound):
            return '(no logs)'

    # --- health gate ---------------------------------------------------------------------
    def wait_healthy(self, name, container_id):
        """Bounded: the container runs, its image healthcheck (if any) is healthy, the health
        route answers 2xx, and the smoke payload (if any) scores with a 2xx."""
        params = self.params
        started = time.monotonic()
        deadline = started + params['health_timeout']
        url = wait_published_url(self.client, container_id, params['container_port'])
        last = 'no answer yet'
        while True:
            container = self.client.inspect_container(container_id)
            state = container['State']
            # A restart policy turns an exit into a restart loop: the first restart is the failure.
            if state.get('Status') in ('exited', 'dead') or state.get('Restarting') or container.get('RestartCount'):
                how = ('exit code %s' % state['ExitCode'] if state.get('Status') in ('exited', 'dead')
                       else 'restarted %s times' % container.get('RestartCount'))
                raise ScorerError('%s exited at start (%s); its log ends:\n%s' % (name, how, self.logs_tail(container_id)))
            image_health = (state.get('Health') or {}).get('Status')
            if image_health in (None, 'healthy'):
                status, last = http_call(url + (params['health_path'] or '/'))
                if status and 200 <= status < 300:
                    break
            else:
                last = 'image healthcheck is %s' % image_health
            if time.monotonic() >= deadline:
                raise ScorerError('%s was not healthy within %ss (last: %s); its log ends:\n%s'
                                  % (name, params['health_timeout'], last, self.logs_tail(container_id)))
            time.sleep(POLL_SECONDS)
        health = dict(url=url + params['health_path'], seconds=round(time.monotonic() - started, 3))
        if params['smoke_payload'] is not None:
            smoke_started = time.monotonic()
            status, body = http_call(url + params['smoke_path'], params['smoke_payload'])
            if not status or not 200 <= status < 300:
                raise ScorerError('%s did not score the smoke payload (POST %s answered %s: %s); its log ends:\n%s'
                                  % (name, params['smoke_path'], status, body[:500], self.logs_tail(container_id)))
            health['smoke'] = dict(status=status, seconds=round(time.monotonic() - smoke_started, 3),
                                   response=body[:1000])
        self.actions.append('%s healthy' % name)
        return health

    # --- states --------------------------------------------------------------------------
    def replace(self, name, old, desired):
        """Recreate the container. Blue/green when the old one serves: a candidate is started
        beside it on a loopback port and must pass the health gate before the old one stops;
        a failing candidate is removed and the old one keeps serving."""
        params = self.params
        serving = old and old['State'].get('Running') and params['state'] == 'started'
        health = None
        if serving and params['update_strategy'] == 'blue_green':
            candidate_name = '%s-candidate' % name
            leftover = self.inspect(candidate_name)
            if leftover:
                self.remove(leftover['Id'])
            candidate = self.create(candidate_name, dict(desired, restart_policy='no'), '127.0.0.1', None)
            try:
                self.start(candidate_name, candidate)
                self.wait_healthy(candidate_name, candidate)
            except ScorerError as e:
                self.remove(candidate)
                raise ScorerError('%s; %s keeps serving, unchanged' % (e, name))
            self.remove(candidate)
            self.actions.append('removed %s' % candidate_name)
        if old:
            # Renamed, not removed, until the new one is healthy: it is the way back.
            retired = '%s-retired' % name
            leftover = self.inspect(retired)
            if leftover:
                self.remove(leftover['Id'])
            self.client.rename(old['Id'], retired)
            self.client.stop(old['Id'], timeout=params['stop_timeout'])
        container_id = self.create(name, desired, params['bind_address'], params['host_port'])
        try:
            if params['state'] == 'started':
                self.start(name, container_id)
                health = self.wait_healthy(name, container_id)
        except ScorerError as e:
            self.remove(container_id)
            if old:
                self.client.rename(old['Id'], name)
                if serving:
                    self.client.start(old['Id'])
                raise ScorerError('%s; the previous %s was put back' % (e, name))
            raise
        if old:
            self.remove(old['Id'])
            self.actions.append('removed the previous %s' % name)
        return container_id, health

    def run(self):
        params = self.params
        name = params['name']
        current = self.inspect(name)
        result = dict(changed=False, actions=self.actions)
        if params['state'] == 'absent':
            if current:
                if not self.module.check_mode:
                    self.remove(current['Id'])
                self.actions.append('removed %s' % name)
            result.update(changed=bool(current), container=None)
            if self.module._diff:
                result['diff'] = dict(before=dict(name=name, exists=bool(current)), after=dict(name=name, exists=False))
            return result

        tag = image_tag(params)
        reference = '%s:%s' % (params['image'], tag)
        image_id, image_changed = self.ensure_image(reference)
        desired = desired_state(params, image_id, tag)
        observed = observed_state(current, desired) if current else None
        # A new container differs in every field; an image still to pull (check mode) in image_id.
        changed_fields = differences(observed, desired) if current else sorted(desired)
        recreate = [f for f in changed_fields if not in_place(f, desired)]
        updated = [f for f in changed_fields if in_place(f, desired)]
        running = bool(current and current['State'].get('Running'))
        want_running = params['state'] == 'started'
        health = None
        container_id = current and current['Id']

        if not self.module.check_mode:
            if not current or recreate:
                container_id, health = self.replace(name, current, desired)
            else:
                if updated:
                    self.client.update_container(
                        container_id, restart_policy=dict(Name=desired['restart_policy']), **limits(desired))
                    self.actions.append('updated %s in place: %s' % (name, ', '.join(updated)))
                if want_running and not running:
                    self.start(name, container_id)
                    health = self.wait_healthy(name, container_id)
                elif params['state'] == 'stopped' and running:
                    self.client.stop(container_id, timeout=params['stop_timeout'])
                    self.actions.append('stopped %s' % name)
        else:
            if not current or recreate:
                self.actions.append('would create %s' % name if not current else 'would recreate %s' % name)
            elif updated:
                self.actions.append('would update %s in place: %s' % (name, ', '.join(updated)))

        if params['state'] == 'present':
            running_after = running and not recreate
        else:
            running_after = want_running
        state_changed = running_after != running and params['state'] != 'present'
        result['changed'] = bool(changed_fields or state_changed or image_changed)
        result.update(
            changed_fields=changed_fields,
            recreated=bool(current and recreate),
            health=health,
            container=dict(
                name=name, id=container_id, image=desired['image'], image_id=image_id,
                model_id=params['model_id'], model_sha256=desired['labels'].get(label_keys.MODEL_SHA256),
                release=params['sparkflows_release'], host_port=params['host_port'],
                running=running_after,
            ),
        )
        if self.module._diff:
            before = dict(observed, running=running) if current else {}
            result['diff'] = dict(before=for_diff(before), after=for_diff(dict(desired, running=running_after)))
        return result


def run_module():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_if=REQUIRED_IF,
                           required_together=REQUIRED_TOGETHER)
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib('docker (the Docker SDK for Python)'), exception=str(DOCKER_IMPORT_ERROR))
    result = dict(changed=False)
    try:
        validate(module.params)
        client = connect(module.params)
    except (ScorerError, EngineError) as e:
        module.fail_json(msg=str(e), **result)
    scorer = Scorer(module, client)
    try:
        result = scorer.run()
    except (ScorerError, EngineError) as e:
        module.fail_json(msg=str(e), actions=scorer.actions, **result)
    except DockerException as e:
        module.fail_json(msg='Docker Engine error: %s' % e, actions=scorer.actions, **result)
    module.exit_json(**result)
