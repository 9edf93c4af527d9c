# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The standalone Docker scorer: one container per model, release-matched, health-gated - the
replacement strategy of scorer_container and its module flow.

Only the fields the user set are compared, plus the environment names this module set before
(_docker/options.py); restart policy and new or changed memory and CPU limits are updated in
place, everything else (a limit lifted too: the engine cannot lift one in place) recreates the
container, blue/green when it serves. The strategy takes plain values and an Engine
(_docker/engine.py: a no-op run costs two inspect calls) and the health gate
(_docker/health.py), so that it is tested against fakes of both.
"""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer import labels as label_keys
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.labels import CANDIDATE_SUFFIX, RETIRED_SUFFIX
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.engine import (
    DOCKER_IMPORT_ERROR,
    HAS_DOCKER,
    DockerException,
    Engine,
    EngineError,
    EngineUnreachable,
    connect,
    unreachable,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.health import gate_of, wait_healthy as health_gate
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.options import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    REQUIRED_TOGETHER,
    SECRET_MAPS,
    ScorerError,
    desired_state,
    differences,
    for_diff,
    image_reference,
    in_place,
    limits,
    observed_state,
    repo_digest,
    secret_labels,
    validate,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import run_module as run_ansible_module


class Scorer(object):
    """Drives one scorer container through an Engine; every step is recorded in actions."""

    def __init__(self, engine, params, check_mode=False, diff=False, health=health_gate):
        self.engine = engine
        self.params = params
        self.check_mode = check_mode
        self.diff = diff
        self.health = health
        self.gate = gate_of(params)
        self.actions = []
        self.image = None

    def ensure_image(self, reference):
        """(image id or None in check mode when it would be pulled, whether it changed)."""
        pull = self.params['pull']
        image = self.engine.local_image(reference)
        self.image = image
        local = image and image['Id']
        if pull == 'never':
            if not local:
                raise ScorerError('image %s is not on this host and pull is never' % reference)
            return local, False
        if pull == 'missing' and local:
            return local, False
        if self.check_mode:
            digest = self.engine.remote_digest(reference)
            if local and any(d.endswith('@' + digest) for d in image.get('RepoDigests') or []):
                return local, False
            return None, True
        pulled = self.engine.pull(reference)
        if pulled != local:
            self.actions.append('pulled %s' % reference)
            self.image = self.engine.local_image(reference)
        return pulled, pulled != local

    def create(self, name, desired, host_ip, host_port):
        params = self.params
        container_id = self.engine.create(
            name, desired['image'], desired['labels'], desired['env'],
            (desired['model']['source'], desired['model']['target']), params['container_port'], host_ip, host_port,
            desired['restart_policy'], limits(desired), params['stop_timeout'])
        self.actions.append('created %s' % name)
        return container_id

    def start(self, name, container_id):
        """Start a container; the caller decides what becomes of it when that fails."""
        try:
            self.engine.start(container_id, name, '%s on %s' % (self.params['host_port'], self.params['bind_address']))
        except EngineError as e:
            raise ScorerError(str(e))
        self.actions.append('started %s' % name)

    def wait_healthy(self, name, container_id):
        health = self.health(self.engine, name, container_id, self.gate)
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
            candidate_name = name + CANDIDATE_SUFFIX
            leftover = self.engine.inspect(candidate_name)
            if leftover:
                self.engine.remove(leftover['Id'])
            candidate = self.create(candidate_name, dict(desired, restart_policy='no'), '127.0.0.1', None)
            try:
                self.start(candidate_name, candidate)
                self.wait_healthy(candidate_name, candidate)
            except ScorerError as e:
                self.engine.remove(candidate)
                raise ScorerError('%s; %s keeps serving, unchanged' % (e, name))
            self.engine.remove(candidate)
            self.actions.append('removed %s' % candidate_name)
        if old:
            # Renamed, not removed, until the new one is healthy: it is the way back.
            retired = name + RETIRED_SUFFIX
            leftover = self.engine.inspect(retired)
            if leftover:
                self.engine.remove(leftover['Id'])
            self.engine.rename(old['Id'], retired)
            self.engine.stop(old['Id'], timeout=params['stop_timeout'])
        container_id = self.create(name, desired, params['bind_address'], params['host_port'])
        try:
            if params['state'] == 'started':
                self.start(name, container_id)
                health = self.wait_healthy(name, container_id)
        except ScorerError as e:
            self.engine.remove(container_id)
            if old:
                self.engine.rename(old['Id'], name)
                if serving:
                    self.engine.restart_stopped(old['Id'])
                raise ScorerError('%s; the previous %s was put back' % (e, name))
            raise
        if old:
            self.engine.remove(old['Id'])
            self.actions.append('removed the previous %s' % name)
        return container_id, health

    def run(self):
        params = self.params
        name = params['name']
        current = self.engine.inspect(name)
        result = dict(changed=False, actions=self.actions)
        if params['state'] == 'absent':
            if current:
                if not self.check_mode:
                    self.engine.remove(current['Id'])
                self.actions.append('removed %s' % name)
            result.update(changed=bool(current), container=None)
            if self.diff:
                result['diff'] = dict(before=dict(name=name, exists=bool(current)), after=dict(name=name, exists=False))
            return result

        reference, tag = image_reference(params)
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

        if not self.check_mode:
            if not current or recreate:
                container_id, health = self.replace(name, current, desired)
            else:
                if updated:
                    self.engine.update(container_id, desired['restart_policy'], limits(desired))
                    self.actions.append('updated %s in place: %s' % (name, ', '.join(updated)))
                if want_running and not running:
                    self.start(name, container_id)
                    health = self.wait_healthy(name, container_id)
                elif params['state'] == 'stopped' and running:
                    self.engine.stop(container_id, params['stop_timeout'])
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
                image_digest=repo_digest(self.image, params['image']),
                model_id=params['model_id'], model_sha256=desired['labels'].get(label_keys.MODEL_SHA256),
                release=params['sparkflows_release'], host_port=params['host_port'],
                running=running_after,
            ),
        )
        if self.diff:
            before = dict(observed, running=running) if current else {}
            secret_env = params['secret_env']
            result['diff'] = dict(before=for_diff(before, secret_env),
                                  after=for_diff(dict(desired, running=running_after), secret_env))
        return result


def run(params, check_mode, host):
    for name in secret_labels(params):
        host.warn('label %s looks like a secret: its value is hidden from this run, but labels are container '
                  'metadata, listed with it (docker ps, scorer_info), not a place for secrets; pass it in env' % name)
    if not HAS_DOCKER:
        raise ModuleFailure(missing_required_lib('docker (the Docker SDK for Python)'), exception=str(DOCKER_IMPORT_ERROR))
    result = dict(changed=False)
    try:
        validate(params)
        engine = Engine(connect(params), params['image'], params['registry_username'], params['registry_password'])
    except (ScorerError, EngineError) as e:
        raise ModuleFailure(str(e), **result)
    scorer = Scorer(engine, params, check_mode=check_mode, diff=host.diff)
    try:
        return scorer.run()
    except (ScorerError, EngineError) as e:
        raise ModuleFailure(str(e), actions=scorer.actions, **result)
    except EngineUnreachable as e:
        raise ModuleFailure(str(unreachable(params, e)), actions=scorer.actions, **result)
    except DockerException as e:
        raise ModuleFailure('Docker Engine error: %s' % e, actions=scorer.actions, **result)


def run_module():
    # env's and labels' secret values are hidden from the moment the arguments are read.
    run_ansible_module(run, ARGUMENT_SPEC, secret_maps=SECRET_MAPS, supports_check_mode=True,
                       required_if=REQUIRED_IF, required_together=REQUIRED_TOGETHER)
