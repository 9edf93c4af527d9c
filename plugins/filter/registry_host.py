# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.image import registry_of

DOCUMENTATION = r"""
name: registry_host
short_description: The registry host of an image repository, as the Docker Engine reads it
version_added: 0.1.0
description:
  - The first part of the repository when it is a host (it has a dot or a port, or is
    C(localhost)), else V(docker.io) - so that C(org/image) is Docker Hub's, not a host named C(org).
  - The same rule M(sparkflows.mlops.scorer_container) applies, from the same code.
options:
  _input:
    description: An image repository without a tag, for example V(registry.example.net:5000/sparkflows/scorer).
    type: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: Where the engine looks for the registry's CA
  ansible.builtin.debug:
    msg: "/etc/docker/certs.d/{{ 'registry.example.net:5000/sparkflows/scorer' | sparkflows.mlops.registry_host }}"
"""

RETURN = r"""
_value:
  description: The registry host (with its port), V(docker.io) for Docker Hub.
  type: str
"""


def registry_host(repository):
    return registry_of(str(repository)) or 'docker.io'


class FilterModule(object):
    def filters(self):
        return {'registry_host': registry_host}
