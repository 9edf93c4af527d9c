# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The Docker Engine options of the scorer modules.
    # Declared in plugins/module_utils/_docker/engine.py (ENGINE_ARGSPEC).
    DOCUMENTATION = r'''
options:
  docker_host:
    description:
      - The Docker Engine API to use, for example V(unix:///var/run/docker.sock).
    type: str
    default: unix:///var/run/docker.sock
  docker_timeout:
    description:
      - Seconds each Docker Engine API call may take.
    type: int
    default: 60
  docker_api_version:
    description:
      - Docker Engine API version to speak; V(1.41) is Engine 20.10, which every later engine still
        serves. V(auto) asks the engine first (one more call per run).
    type: str
    default: '1.41'
'''

    # The action group of the modules that talk to a Docker Engine.
    ACTIONGROUP_DOCKER = r'''
attributes:
  action_group:
    description: Use C(group/sparkflows.mlops.docker) in C(module_defaults) to set the Docker Engine options once.
    support: full
    membership:
      - sparkflows.mlops.docker
'''
