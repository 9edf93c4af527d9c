# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.release import plan, venv_name

DOCUMENTATION = r"""
name: mlflow_host_release
short_description: The virtual environment of an MLflow package set, and whether a run upgrades
version_added: 0.2.0
description:
  - With O(_input) a list of packages and O(profile) given - the name of their virtual
    environment, C(PROFILE-DIGEST) (the same packages give the same name on every host).
  - With O(_input) the environment running now (a path, empty when none), O(target) and
    O(installed) given - what the run does to the tracking server - V(install), V(keep) or
    V(upgrade) (back up, migrate, and go back if the new version does not serve).
options:
  _input:
    description: The packages, or the environment running now.
    type: raw
    required: true
  profile:
    description: The package profile's name (with a list of packages).
    type: str
  target:
    description: The environment this run installs (with the one running now).
    type: str
  installed:
    description: Whether the tracking server was set up on the host before (its unit exists).
    type: bool
    default: false
author:
  - sparkflows.mlops maintainers (@sparkflows)
"""

EXAMPLES = r"""
- name: The environment of the current profile
  ansible.builtin.debug:
    msg: "/opt/mlflow/venvs/{{ ['mlflow[auth]==3.17.0'] | sparkflows.mlops.mlflow_host_release(profile='current') }}"
"""

RETURN = r"""
_value:
  description: The environment's name, or V(install), V(keep) or V(upgrade).
  type: str
"""


def mlflow_host_release(value, profile=None, target=None, installed=False):
    if profile is not None:
        if not isinstance(value, (list, tuple)):
            raise AnsibleFilterError('mlflow_host_release takes a list of packages with profile')
        return venv_name(profile, value)
    if target is None:
        raise AnsibleFilterError('mlflow_host_release needs profile (a list of packages) or target (the environment running)')
    return plan(value or '', target, bool(installed))


class FilterModule(object):
    def filters(self):
        return {'mlflow_host_release': mlflow_host_release}
