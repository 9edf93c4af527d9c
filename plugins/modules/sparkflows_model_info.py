#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: sparkflows_model_info
short_description: Read the records of models in the Sparkflows model repository, once for every host
version_added: 0.2.0
description:
  - Selects each model of O(models) as M(sparkflows.mlops.sparkflows_model_fetch) does (by id,
    uuid, or name and its latest version, optionally of one stage) and returns its record and
    the C(ETag) its file is served with (C(HEAD) of the download endpoint). Changes nothing.
  - The records are what M(sparkflows.mlops.sparkflows_model_fetch) takes as
    O(sparkflows.mlops.sparkflows_model_fetch#module:model), read once (C(run_once)) for every
    host; each host then asks Sparkflows nothing for a model whose copy is current. Role
    C(scorer) plans a rollout so.
  - "Requests: the release (O(release=true)), the model list once for every model chosen by id or
    name, one for each model chosen by uuid, and one C(HEAD) for each model: at most
    2 + 2 x models (and the login, with a user and password)."
  - An answer of a shape the collection does not recognise fails, naming the endpoint and what came.
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: all
options:
  models:
    description:
      - The models to read, each chosen by exactly one of O(models[].model_id),
        O(models[].model_uuid) and O(models[].model_name).
    type: list
    elements: dict
    required: true
    suboptions:
      key:
        description:
          - The caller's name for the model, returned with its record (RV(models[].key)) to find it
            by. Entries of the same key are read once, and must select the same model (role
            C(scorer) gives every host's models, each keyed by its C(scorer_models) name).
        type: str
      model_id:
        description:
          - Id of the model in the Sparkflows model repository.
        type: str
      model_uuid:
        description:
          - Uuid of the model.
        type: str
      model_name:
        description:
          - Name of the model; its highest version is read.
        type: str
      stage:
        description:
          - With O(models[].model_name), only consider versions in this lifecycle stage.
        type: str
      file_type:
        description:
          - The C(fileType) of the model's download; O(file_type) when not set.
        type: str
  file_type:
    description:
      - The C(fileType) of the downloads whose C(ETag) is read, for the models that set none.
    type: str
    default: zip
  release:
    description:
      - Also return RV(release), the release the server reports.
    type: bool
    default: false
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Read the records of the models served, once for every host
  sparkflows.mlops.sparkflows_model_info:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    release: true
    models:
      - key: churn
        model_name: churn-model
        stage: Production
      - model_id: "101"
  register: sparkflows_models
  run_once: true

- name: Fetch each model where its copy is not the one read
  sparkflows.mlops.sparkflows_model_fetch:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    model: "{{ item }}"
    dest: "/tmp/model-{{ item.id }}.zip"
  loop: "{{ sparkflows_models.models }}"
'''

RETURN = r'''
release:
  description: The release the server reports.
  returned: when O(release=true)
  type: str
  sample: "3.3.0"
models:
  description:
    - The record of each model of O(models), in their order (an entry whose key came before once).
  returned: success
  type: list
  elements: dict
  contains:
    key:
      description: O(models[].key) of the entry.
      type: str
      sample: churn-model
    id:
      description: Id of the model.
      type: raw
      sample: 101
    uuid:
      description: Uuid of the model.
      type: str
    name:
      description: Name of the model.
      type: str
    version:
      description: Version of the model.
      type: raw
      sample: 3
    stage:
      description: Lifecycle stage of the model.
      type: str
      sample: Production
    file_type:
      description: The C(fileType) whose C(ETag) was read.
      type: str
      sample: zip
    etag:
      description: The C(ETag) the model's file is served with; V(null) when the server sends none.
      type: str
      sample: '"3000a6-17e3c0ad"'
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.model_info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
