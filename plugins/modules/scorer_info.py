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
  - Reads only; a scorer that is missing or unhealthy is reported, not failed on.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.docker
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
      - Unset, every container scorer_container made on the engine, by name.
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
    labels: {description: Its C(io.sparkflows.*) labels., type: dict, returned: when it exists}
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
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer_info import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
