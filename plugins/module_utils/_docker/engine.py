# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Docker Engine connection of the scorer modules: the Docker SDK for Python's low-level
APIClient, its options (documented in the docker doc fragment) and the URL a container's
published port answers on."""

from __future__ import annotations

import sys
import time

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import registry_of


def import_docker():
    """Import the Docker SDK for Python without its optional SSH transport: it would load
    paramiko (about 80 ms of every run) and these modules speak only unix:// and tcp://."""
    blocked = 'paramiko' not in sys.modules
    if blocked:
        sys.modules['paramiko'] = None  # makes `import paramiko` raise ImportError
    try:
        import docker
        return docker
    finally:
        if blocked:
            del sys.modules['paramiko']


try:
    docker = import_docker()
    # Imported here once for the scorer modules (they import them from this file).
    from docker.errors import APIError, DockerException, ImageNotFound, NotFound  # pylint: disable=unused-import
    from docker.utils import parse_bytes  # pylint: disable=unused-import
    # What the SDK raises when nothing answers at docker_host (a missing socket, a closed port).
    from requests.exceptions import ConnectionError as EngineUnreachable  # pylint: disable=unused-import
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as e:  # reported by the module, with the requirement's name
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = e
    docker = parse_bytes = None
    DockerException = APIError = ImageNotFound = NotFound = Exception

    class EngineUnreachable(Exception):
        """Never raised: without the SDK the modules fail before any call."""

ENGINE_ARGSPEC = dict(
    docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
    docker_timeout=dict(type='int', default=60),
    docker_api_version=dict(type='str', default='1.41'),
)
POLL_SECONDS = 0.25


class EngineError(Exception):
    """The engine cannot be reached or used; one clear message."""


def unreachable(params, error):
    """The EngineError of a docker_host nothing answers at."""
    return EngineError('cannot reach the Docker Engine at %s: %s' % (params['docker_host'], error))


def connect(params):
    """An APIClient for the module's docker_* options."""
    if not HAS_DOCKER:
        raise EngineError('missing docker')
    try:
        return docker.APIClient(base_url=params['docker_host'], timeout=params['docker_timeout'],
                                version=params['docker_api_version'])
    except DockerException as e:
        raise unreachable(params, e)


def published_url(container, container_port):
    """http://host:port of container_port as published in an inspect answer, None when the
    engine published none (yet). A wildcard bind is reached on loopback."""
    bindings = ((container.get('NetworkSettings') or {}).get('Ports') or {}).get('%d/tcp' % container_port)
    if not bindings:
        return None
    host_ip = bindings[0]['HostIp']
    if host_ip in ('', '0.0.0.0', '::'):
        host_ip = '127.0.0.1'
    return 'http://%s:%s' % ('[%s]' % host_ip if ':' in host_ip else host_ip, bindings[0]['HostPort'])


def wait_published_url(client, container_id, container_port, attempts=20):
    """published_url of a just-started container: the engine fills the ports in shortly after."""
    for _attempt in range(attempts):
        url = published_url(client.inspect_container(container_id), container_port)
        if url:
            return url
        time.sleep(POLL_SECONDS)
    raise EngineError('the engine published no host port for %d/tcp' % container_port)


LOG_TAIL = 20


class Engine(object):
    """The engine calls of scorer_container, each translating the engine's errors into one
    EngineError message; the strategy (_docker/container.py) calls nothing else, so that it is
    tested against a fake of this class."""

    def __init__(self, client, repository=None, registry_username=None, registry_password=None):
        self.client = client
        self.repository = repository
        self.username = registry_username
        self.auth = dict(username=registry_username, password=registry_password) if registry_username else None

    def inspect(self, name):
        """The inspect answer of a container, None when there is none."""
        try:
            return self.client.inspect_container(name)
        except NotFound:
            return None

    def explain_registry_error(self, reference, error):
        text = str(getattr(error, 'explanation', None) or error)
        registry = registry_of(self.repository or reference) or 'docker.io'
        lowered = text.lower()
        if 'unauthorized' in lowered or 'authentication required' in lowered or 'denied' in lowered:
            return 'registry %s refused %s for %s: %s' % (registry, self.username or 'anonymous access', reference, text)
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
            return self.client.inspect_distribution(reference, auth_config=self.auth)['Descriptor']['digest']
        except APIError as e:
            raise EngineError(self.explain_registry_error(reference, e))

    def pull(self, reference):
        """Pull reference; the id of the host's image of it afterwards."""
        # repository:tag, or repository@sha256:... (a rollback's exact image)
        repository, _sep, tag = reference.partition('@') if '@' in reference else reference.rpartition(':')
        try:
            self.client.pull(repository, tag=tag, auth_config=self.auth)
        except APIError as e:
            raise EngineError(self.explain_registry_error(reference, e))
        return self.local_image(reference)['Id']

    def create(self, name, image, labels, env, bind, container_port, host_ip, host_port, restart_policy,
               limits, stop_timeout):
        """A container of image with bind (source, target) read-only and container_port published
        on host_ip:host_port (a free port when None); its id."""
        source, target = bind
        host_config = self.client.create_host_config(
            binds={source: dict(bind=target, mode='ro')},
            port_bindings={container_port: (host_ip, host_port)},
            restart_policy=dict(Name=restart_policy), **limits)
        return self.client.create_container(
            image, name=name, labels=labels, environment=env, ports=[container_port], host_config=host_config,
            stop_timeout=stop_timeout)['Id']

    def start(self, container_id, name, where):
        """Start a container; where (host:port) names what a taken port is."""
        try:
            self.client.start(container_id)
        except APIError as e:
            text = str(e.explanation or e)
            if 'port is already allocated' in text or 'address already in use' in text:
                raise EngineError('host port %s is already taken by something else; %s not started' % (where, name))
            raise EngineError('cannot start %s: %s' % (name, text))

    def update(self, container_id, restart_policy, limits):
        self.client.update_container(container_id, restart_policy=dict(Name=restart_policy), **limits)

    def rename(self, container_id, name):
        self.client.rename(container_id, name)

    def stop(self, container_id, timeout):
        self.client.stop(container_id, timeout=timeout)

    def restart_stopped(self, container_id):
        self.client.start(container_id)

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

    def published_url(self, container_id, container_port):
        return wait_published_url(self.client, container_id, container_port)
