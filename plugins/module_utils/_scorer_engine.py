# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Docker Engine connection of the scorer modules: the Docker SDK for Python's low-level
APIClient, its options (documented in the docker doc fragment) and the URL a container's
published port answers on."""

from __future__ import annotations

import sys
import time


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
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as e:  # reported by the module, with the requirement's name
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = e
    docker = parse_bytes = None
    DockerException = APIError = ImageNotFound = NotFound = Exception

ENGINE_ARGSPEC = dict(
    docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
    docker_timeout=dict(type='int', default=60),
    docker_api_version=dict(type='str', default='1.41'),
)
POLL_SECONDS = 0.25


class EngineError(Exception):
    """The engine cannot be reached or used; one clear message."""


def connect(params):
    """An APIClient for the module's docker_* options."""
    if not HAS_DOCKER:
        raise EngineError('missing docker')
    try:
        return docker.APIClient(base_url=params['docker_host'], timeout=params['docker_timeout'],
                                version=params['docker_api_version'])
    except DockerException as e:
        raise EngineError('cannot reach the Docker Engine at %s: %s' % (params['docker_host'], e))


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
