#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: scorer_deployment
short_description: Record a change of a Sparkflows scorer in the host's deployment history, keeping its model file
version_added: 0.2.0
description:
  - Appends one record (time, actor, model id and sha256, image and its digest, Sparkflows release,
    outcome) to C(deployments.jsonl) under O(path) for each change of a scorer.
  - A version that serves (O(outcome=deployed) or V(rolled_back)) has its model file kept under
    O(path)C(/models/SCORER/SHA256.EXT) (a hard link where the file system allows, else a copy), so
    that role M(sparkflows.mlops.scorer)'s rollback can run it again; the files of all but the
    last O(keep) versions that served are removed.
  - O(state=absent) removes the kept files of a scorer and records its removal.
  - M(sparkflows.mlops.scorer_info) reads the history (O(sparkflows.mlops.scorer_info#module:history_path)).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Returns the record it would append; writes nothing.
  diff_mode:
    support: full
    details: The line appended.
  platform:
    platforms: posix
options:
  path:
    description: The history directory on the host.
    type: path
    default: /var/lib/sparkflows-scorer
  scorer:
    description: The scorer, its model's name in C(scorer_models).
    type: str
    required: true
  state:
    description: V(recorded) appends a record; V(absent) removes the scorer's kept files.
    type: str
    choices: [recorded, absent]
    default: recorded
  outcome:
    description:
      - What happened - V(deployed) (the version serves), V(rolled_back) (an earlier version serves
        again), V(failed), V(canary_failed), V(removed). Required with O(state=recorded).
    type: str
    choices: [deployed, rolled_back, failed, canary_failed, removed]
  container:
    description: The container's name.
    type: str
  model_path:
    description: The model file the container runs; required (and kept) when the version serves.
    type: path
  model_id:
    description: The Sparkflows model id.
    type: str
  model_sha256:
    description: SHA-256 of the model file; required when the version serves.
    type: str
  image:
    description: The image reference it runs.
    type: str
  image_id:
    description: The image id it runs.
    type: str
  image_digest:
    description: The registry digest of that image (C(sha256:...)), what a rollback pulls or runs.
    type: str
  release:
    description: The Sparkflows release it was deployed for.
    type: str
  actor:
    description: Who made the change (the controller's user, or the AWX job).
    type: str
  reason:
    description: Why, in one line (for example why a canary failed).
    type: str
  keep:
    description: How many versions that served keep their model file, per scorer.
    type: int
    default: 3
author:
  - sparkflows.mlops maintainers (@sparkflows)
seealso:
  - module: sparkflows.mlops.scorer_info
  - module: sparkflows.mlops.scorer_container
'''

EXAMPLES = r'''
- name: Record the deployment of churn-model
  sparkflows.mlops.scorer_deployment:
    path: /var/lib/sparkflows-scorer
    scorer: churn-model
    outcome: deployed
    container: sparkflows-scorer-churn-model
    model_path: /srv/sparkflows-scorer/models/churn-model.zip
    model_id: "101"
    model_sha256: 9f2c54a1b9c1a7d1e8f0d3c2b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b
    image: registry.example.net/sparkflows/scorer:3.1.0
    release: 3.1.0
    actor: "{{ lookup('sparkflows.mlops.deployment_actor') }}"
'''

RETURN = r'''
record:
  description: The record appended (or that would be), None when there was nothing to record.
  returned: success
  type: dict
  contains:
    time: {description: 'When (UTC, ISO 8601 with its offset).', type: str}
    scorer: {description: The scorer., type: str}
    outcome: {description: What happened., type: str}
    kept_model: {description: The kept model file of a version that serves., type: str}
removed:
  description: Kept model files removed (older versions, or every one with O(state=absent)).
  returned: success
  type: list
  elements: str
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.history import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
