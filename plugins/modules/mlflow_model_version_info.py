#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mlflow_model_version_info
short_description: The version of a registered MLflow model that a model URI names, an alias resolved now
version_added: 0.2.0
description:
  - Reads from an MLflow tracking server's model registry which version O(model_uri) names -
    C(models:/NAME/VERSION), or C(models:/NAME@ALIAS), the version the alias points to at this
    moment - and returns it with the URI pinned to that version (RV(pinned_uri)).
  - Role M(sparkflows.mlops.mlflow_host) serves the pinned URI, so that moving an alias is a change
    it deploys (blue/green, C(docs/continuous-delivery.md)).
  - Changes nothing; fails with the URI and MLflow's answer when the version or alias cannot be read.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.mlflow
  - sparkflows.mlops.mlflow.actiongroup_mlflow
attributes:
  check_mode:
    support: full
    details: Reads only; the same in check mode.
  diff_mode:
    support: N/A
    details: Reads only.
  platform:
    platforms: posix
options:
  model_uri:
    description:
      - C(models:/NAME/VERSION) or C(models:/NAME@ALIAS).
    type: str
    required: true
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Which version is champion now
  sparkflows.mlops.mlflow_model_version_info:
    tracking_uri: https://mlflow.example.net:5000
    username: reader
    password: "{{ mlflow_reader_password }}"
    model_uri: models:/churn@champion
  register: champion
  delegate_to: localhost

- name: Say it
  ansible.builtin.debug:
    msg: "{{ champion.pinned_uri }} (from run {{ champion.model_version.run_id }})"
'''

RETURN = r'''
model_version:
  description: The model version as the registry holds it.
  returned: success
  type: dict
  contains:
    name: {description: The registered model., type: str, sample: churn}
    version: {description: "The version number, as text.", type: str, sample: "3"}
    source: {description: Where its artifacts are., type: str}
    run_id: {description: The run that logged it., type: str}
    status: {description: MLflow's status of the version., type: str, sample: READY}
    current_stage: {description: "Its stage (MLflow's stages, deprecated in MLflow 2.9).", type: str}
    aliases: {description: The aliases pointing to it., type: list, elements: str, sample: [champion]}
alias:
  description: The alias of O(model_uri); null for a version URI.
  returned: success
  type: str
  sample: champion
pinned_uri:
  description: O(model_uri) pinned to the version, C(models:/NAME/VERSION).
  returned: success
  type: str
  sample: models:/churn/3
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.model_version_info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
