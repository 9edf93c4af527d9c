#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mlflow_webhook
short_description: Register a webhook of MLflow's model registry, its secret kept out of every output
version_added: 0.2.0
description:
  - Creates, updates or removes one webhook of an MLflow 3.3 or newer tracking server (with a SQL
    backend store), found by its O(name), through MLflow's REST API. MLflow then calls the
    webhook's O(url) on the registry events given (O(events)), signing each delivery with the
    O(secret); the event source C(sparkflows.mlops.mlflow_webhook) verifies them
    (C(docs/continuous-delivery.md)).
  - Only the options set are compared with what MLflow holds. MLflow never shows a webhook's
    secret, so it is sent when the webhook is created, and again on every run with
    O(update_secret=always) (to rotate it); it is never returned or shown in a diff.
  - With O(test=true), MLflow sends its test delivery to the webhook after the change, and the task
    fails when the listener does not take it (a wrong secret answers 401).
  - Runs where the tracking server is reachable, usually on the controller
    (C(delegate_to=localhost)). O(username) needs the right to manage webhooks (an admin of the
    basic-auth app).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.mlflow
  - sparkflows.mlops.mlflow.actiongroup_mlflow
attributes:
  check_mode:
    support: full
    details: Reads the webhooks and reports what would change; creates, updates, removes and tests nothing.
  diff_mode:
    support: full
    details: The webhook's URL, events, description and status before and after; never the secret.
  platform:
    platforms: posix
options:
  name:
    description:
      - Name of the webhook. The module keeps one webhook of each name, and fails when MLflow holds several.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the webhook, V(absent) removes every webhook of this name.
    type: str
    choices: [present, absent]
    default: present
  url:
    description:
      - The https:// URL MLflow posts deliveries to (MLflow delivers to https:// only). Required with O(state=present).
      - An address on a private network needs C(MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true) in the tracking server's environment.
    type: str
  events:
    description:
      - The registry events delivered, as MLflow names them C(<entity>.<action>).
    type: list
    elements: str
    choices:
      - model_version.created
      - model_version_alias.created
      - model_version_alias.deleted
      - model_version_tag.deleted
      - model_version_tag.set
      - registered_model.created
    default: [model_version_alias.created]
  description:
    description:
      - Description of the webhook; not compared when not given.
    type: str
  status:
    description:
      - V(active) delivers, V(disabled) keeps the webhook without delivering.
    type: str
    choices: [active, disabled]
    default: active
  secret:
    description:
      - The secret MLflow signs deliveries with (HMAC-SHA256), the one the listener checks. Required with
        O(state=present), as a webhook without one sends unsigned deliveries that nothing should trust.
      - Give it from a vault or an AWX/AAP credential; it is never returned or logged.
    type: str
  update_secret:
    description:
      - V(on_create) sends the secret only when the webhook is created (MLflow cannot show it back, so it cannot
        be compared); V(always) sends it on every run, which reports a change every run (to rotate a secret).
    type: str
    choices: [always, on_create]
    default: on_create
  test:
    description:
      - After the change, have MLflow send its test delivery to the webhook and fail unless the listener takes it.
      - The listener receives MLflow's example payload of the first event (model C(example_model)).
    type: bool
    default: false
notes:
  - MLflow's webhooks are experimental in MLflow 3 (since 3.3).
seealso:
  - name: MLflow webhooks
    description: MLflow's documentation of model-registry webhooks.
    link: https://mlflow.org/docs/latest/ml/webhooks/
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Have MLflow tell the rulebook when a model version becomes champion
  sparkflows.mlops.mlflow_webhook:
    tracking_uri: https://mlflow.example.net:5000
    username: admin
    password: "{{ mlflow_admin_password }}"
    ca_path: /etc/ssl/certs/example-ca.pem
    name: sparkflows-eda
    url: https://eda.example.net:8443/
    events: [model_version_alias.created, model_version.created]
    secret: "{{ mlflow_webhook_secret }}"
    test: true
  delegate_to: localhost

- name: Rotate the webhook's secret
  sparkflows.mlops.mlflow_webhook:
    tracking_uri: https://mlflow.example.net:5000
    username: admin
    password: "{{ mlflow_admin_password }}"
    name: sparkflows-eda
    url: https://eda.example.net:8443/
    secret: "{{ new_mlflow_webhook_secret }}"
    update_secret: always
  delegate_to: localhost

- name: Remove it
  sparkflows.mlops.mlflow_webhook:
    tracking_uri: https://mlflow.example.net:5000
    username: admin
    password: "{{ mlflow_admin_password }}"
    name: sparkflows-eda
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
webhook:
  description: The webhook as MLflow holds it after the run (in check mode, as it would); empty when absent.
  returned: always
  type: dict
  contains:
    webhook_id: {description: MLflow's id of the webhook (C((created)) in check mode for a new one)., type: str}
    name: {description: O(name)., type: str, sample: sparkflows-eda}
    url: {description: The URL it posts to., type: str, sample: 'https://eda.example.net:8443/'}
    events: {description: The events delivered., type: list, elements: str, sample: [model_version_alias.created]}
    description: {description: Its description., type: str}
    status: {description: V(active) or V(disabled)., type: str, sample: active}
secret_updated:
  description: Whether the secret was sent to MLflow (on creation, or with O(update_secret=always)); in check mode, whether it would be.
  returned: always
  type: bool
removed:
  description: The ids of the webhooks removed.
  returned: when O(state=absent) removed some
  type: list
  elements: str
test:
  description: MLflow's test delivery.
  returned: when O(test=true), not in check mode
  type: dict
  contains:
    success: {description: Whether the listener took it., type: bool}
    response_status: {description: The listener's HTTP status., type: int, sample: 200}
    error_message: {description: "MLflow's error, when it could not deliver.", type: str}
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.webhook_config import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
