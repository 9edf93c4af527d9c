#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: scorer_info
short_description: Read the Sparkflows Docker scorers on a host, their health and a sample score
version_added: 0.1.0
description:
  - Reads the scorer containers that M(sparkflows.mlops.scorer_container) made on a host (found by
    its C(io.sparkflows.managed-by) label), or the one named O(name); what each runs (model id and
    sha256, image, Sparkflows release, from its labels), whether it runs, and, for a running one,
    its health route and optionally the score of a sample, timed.
  - With O(history_path), also the host's deployment history that
    M(sparkflows.mlops.scorer_deployment) writes - each scorer's previous version that served, and
    the last changes.
  - Reads only; a scorer that is missing or unhealthy is reported, not failed on.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.docker
  - sparkflows.mlops.docker.actiongroup_docker
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: posix
requirements:
  - docker (the Docker SDK for Python) >= 7.1.0, on the host the module runs on
options:
  name:
    description:
      - The container to read; one that does not exist is returned with RV(scorers[].exists=false).
      - Unset, every container scorer_container made on the engine (whose name starts with
        O(prefix), when set), by name.
    type: str
  prefix:
    description:
      - The container name prefix of the scorers (role M(sparkflows.mlops.scorer)'s
        C(scorer_container_prefix)); a scorer's name in the history is its container's name without it.
    type: str
  container_port:
    description:
      - The port the scorer listens on in the container; its published host port is asked.
    type: int
    default: 8080
  health_path:
    description:
      - Route asked with C(GET) on every running scorer.
    type: str
    default: /health
  scoring_path:
    description:
      - Route O(sample) is sent to with C(POST).
    type: str
    default: /predict
  sample:
    description:
      - A payload to score on every running scorer (a document, or JSON text); empty for none.
    type: raw
  timeout:
    description:
      - Seconds each HTTP request may take.
    type: float
    default: 10
  probe:
    description:
      - Ask each running scorer its health route (and score O(sample)); V(false) reads the engine only.
    type: bool
    default: true
  model_mount:
    description:
      - The model's path in the container; RV(scorers[].model_path) is the host file mounted there.
    type: str
    default: /opt/sparkflows/model
  history_path:
    description:
      - The deployment history directory (M(sparkflows.mlops.scorer_deployment)'s O(sparkflows.mlops.scorer_deployment#module:path)); unset, none is read.
    type: path
  history_size:
    description:
      - How many of the last records RV(deployments) holds.
    type: int
    default: 20
author:
  - sparkflows.mlops maintainers (@sparkflows)
seealso:
  - module: sparkflows.mlops.scorer_container
'''

EXAMPLES = r'''
- name: Read every scorer on the host
  sparkflows.mlops.scorer_info:
  register: scorers

- name: Score a sample on the churn-model scorer
  sparkflows.mlops.scorer_info:
    name: sparkflows-scorer-churn-model
    sample: {columns: [age, plan], data: [[42, gold]]}
  register: churn

- name: Show what it runs and whether it scored
  ansible.builtin.debug:
    msg: >-
      model {{ churn.scorers[0].model_id }} on release {{ churn.scorers[0].release }}:
      {{ 'healthy' if churn.scorers[0].healthy else 'unhealthy' }}
'''

RETURN = r'''
scorers:
  description: The scorers read, by name.
  returned: success
  type: list
  elements: dict
  contains:
    name: {description: Container name., type: str, sample: sparkflows-scorer-churn-model}
    exists: {description: Whether the container exists., type: bool}
    id: {description: Container id., type: str, returned: when it exists}
    running: {description: Whether it runs., type: bool}
    status:
      description: The engine's state of it, for example C(running) or C(exited).
      type: str
      returned: when it exists
    health_status:
      description: Its image healthcheck status; None when the image has none.
      type: str
      returned: when it exists
    image: {description: Image reference it was created from., type: str, returned: when it exists}
    image_id: {description: Image id it runs., type: str, returned: when it exists}
    release: {description: Sparkflows release label., type: str, returned: when it exists, sample: 3.1.0}
    model_id: {description: Sparkflows model id label., type: str, returned: when it exists, sample: '101'}
    model_sha256: {description: SHA-256 label of its model file., type: str, returned: when it exists}
    model_path: {description: The host file mounted at O(model_mount)., type: str, returned: when it exists}
    labels:
      description:
        - Its C(io.sparkflows.*) labels; the value of one whose name looks secret is masked. The
          container's environment is never returned.
      type: dict
      returned: when it exists
    url: {description: Base URL of its published port on this host; None when not running., type: str, returned: when it exists}
    health:
      description: The C(GET) of O(health_path).
      returned: when it runs
      type: dict
      contains:
        url: {description: URL asked., type: str}
        status: {description: HTTP status; None without an answer., type: int}
        seconds: {description: Seconds the request took., type: float}
        response: {description: Start of the body (or the connection error)., type: str}
    score:
      description: The C(POST) of O(sample) to O(scoring_path), the same keys as RV(scorers[].health).
      returned: when it runs and O(sample) is set
      type: dict
    healthy:
      description: Running, the health route answered 2xx, and so did the sample when one was given.
      type: bool
    scorer:
      description: Its name in the history, the container name without O(prefix).
      type: str
      returned: with O(history_path)
    previous:
      description:
        - The last record of a version of it that served and is not the one it runs (with
          C(kept_model), the model file kept); None without one.
      type: dict
      returned: with O(history_path)
deployments:
  description: The last O(history_size) records of the host's deployment history, oldest first.
  returned: with O(history_path)
  type: list
  elements: dict
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.container_info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
