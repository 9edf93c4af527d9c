#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: scorer_container
short_description: Run the Sparkflows Docker scorer of the release in use, health-gated, updated blue/green
version_added: 0.1.0
description:
  - Runs the standalone Docker scorer of the Sparkflows online model serving guide, with the Docker
    SDK for Python against the Docker Engine of the host it runs on - the image of the Sparkflows
    release in use, the model from the Sparkflows model repository mounted read-only, its REST
    endpoint published on a host port.
  - The image tag defaults to O(sparkflows_release) (see M(sparkflows.mlops.sparkflows_info)); a tag
    that does not match it is refused before anything changes unless O(allow_release_mismatch).
  - Compares only what the user set. A different image id, model (path or O(model_sha256)), mount,
    port, environment or label recreates the container; a different restart policy, memory or CPU
    limit is applied to the running container in place.
  - A started container must pass a bounded health gate (the image's own healthcheck if it has one,
    C(GET) O(health_path), then optionally C(POST) O(smoke_payload) to O(smoke_path)), all within
    O(health_timeout), or the run fails with the tail of its log.
  - With O(update_strategy=blue_green), a serving container is replaced only after a candidate of
    the new configuration, started beside it on a loopback port, has passed the health gate. A
    failing candidate is removed and the old container keeps serving. The old container is then
    stopped and the new one started on O(host_port); if that one fails its health gate the old one
    is put back. Between the old one stopping and the new one answering, the port refuses
    connections for about the model's load time; roll a fleet with C(serial) behind a load balancer.
  - Registry credentials are passed to the engine for the pull only; nothing is written to the
    host's C(~/.docker/config.json).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - sparkflows.mlops.docker
  - sparkflows.mlops.docker.actiongroup_docker
attributes:
  check_mode:
    support: full
    details: Reports what would change; with O(pull=always) or a missing image it asks the registry
      for the image's digest, pulls and creates nothing.
  diff_mode:
    support: full
    details: The compared fields before and after; secret environment values (see O(env)) and label
      values whose names look secret are masked.
  platform:
    platforms: posix
requirements:
  - docker (the Docker SDK for Python) >= 7.1.0, on the host the module runs on
  - a Docker Engine on that host (API 1.41, Engine 20.10, or later)
options:
  name:
    description:
      - Name of the scorer container. During a blue/green update C(NAME-candidate) and C(NAME-retired)
        exist for a moment.
    type: str
    required: true
  state:
    description:
      - V(started) - the container exists with this configuration, runs, and passed the health gate
        when it was (re)started.
      - V(stopped) - the container exists with this configuration and does not run.
      - V(present) - the container exists with this configuration; whether it runs is left alone
        (a recreated container is left stopped).
      - V(absent) - no container of this name.
    type: str
    choices: [started, stopped, present, absent]
    default: started
  image:
    description:
      - Repository of the scorer image without a tag, for example V(registry.example.net/sparkflows/scorer).
      - Required unless O(state=absent).
    type: str
  image_tag:
    description:
      - Tag of the image. Defaults to O(sparkflows_release) formatted with O(image_tag_format).
      - One of O(image_tag) or O(sparkflows_release) is required unless O(state=absent) or O(image_digest) is set.
    type: str
  image_digest:
    description:
      - Run exactly this image of O(image), by its registry digest (C(sha256:) and 64 hex digits) -
        what role M(sparkflows.mlops.scorer)'s rollback returns to; O(image_tag) and the release
        check are then not used.
    type: str
  sparkflows_release:
    description:
      - The Sparkflows release in use (RV(sparkflows.mlops.sparkflows_info#module:release)). The image tag
        is derived from it, and recorded in the container label C(io.sparkflows.release).
    type: str
  image_tag_format:
    description:
      - How the tag is made from the release; C({release}) is replaced by O(sparkflows_release).
      - For release-bearing tags like Sparkflows' own C(py_3.2.1_3.1.0) use V(py_3.2.1_{release}).
    type: str
    default: '{release}'
  allow_release_mismatch:
    description:
      - Run an O(image_tag) that differs from the tag of O(sparkflows_release). Off by default,
        a scorer of another release may not load the models this Sparkflows writes.
    type: bool
    default: false
  pull:
    description:
      - V(missing) pulls the image when the host does not have it; V(always) pulls every run (the
        container is recreated only when the pulled image id differs); V(never) requires it locally.
    type: str
    choices: [missing, always, never]
    default: missing
  registry_username:
    description:
      - User for the registry of O(image), sent to the engine with the pull.
    type: str
  registry_password:
    description:
      - Password or token of O(registry_username).
    type: str
  model_path:
    description:
      - The model on this host, a file or a directory (for example RV(sparkflows.mlops.sparkflows_model_fetch#module:path)),
        mounted read-only at O(model_mount). Must exist. Required unless O(state=absent).
    type: path
  model_mount:
    description:
      - Where the scorer finds the model in the container.
    type: str
    default: /opt/sparkflows/model
  model_id:
    description:
      - Sparkflows model id, recorded in the label C(io.sparkflows.model.id).
    type: str
  model_sha256:
    description:
      - sha256 of the model (RV(sparkflows.mlops.sparkflows_model_fetch#module:sha256)), recorded in the label
        C(io.sparkflows.model.sha256). A new model at the same path has a new sha256, which recreates
        the container so that it loads it.
    type: str
  container_port:
    description:
      - Port the scorer listens on inside the container.
    type: int
    default: 8080
  host_port:
    description:
      - Host port the scoring endpoint is published on. Required when O(state=started).
    type: int
  bind_address:
    description:
      - Host address the port is published on; all interfaces by default, as C(docker run -p) does.
    type: str
    default: 0.0.0.0
  env:
    description:
      - Environment variables of the scorer. Only these names are compared with the container's,
        and the names this module set before (kept in the C(io.sparkflows.env.names) label); a name
        dropped from O(env) is dropped from the container, which is recreated.
      - The values of secret entries - those whose names say so (containing C(password), C(passwd),
        C(secret), C(token), C(private), C(credential), C(access.key), C(accesskey), C(api.key),
        C(apikey) or C(api_key), in any case, for example C(DB_PASSWORD)), and those named in
        O(secret_env) - are never shown, as the values of options marked C(no_log) are not - not in
        the invocation at C(-vvv), JSON callbacks or AWX job events, errors, the diff or the host's log.
      - The names are recorded on the container (label C(io.sparkflows.env.names)), the values are
        not; the Docker Engine keeps the values, readable by whoever can inspect the container.
    type: dict
    default: {}
  secret_env:
    description:
      - More names of O(env) whose values are secrets, for names that do not say so (for example
        V(DSN) or V(MODEL_STORE_URL) with credentials in it). Names absent from O(env) are ignored.
    type: list
    elements: str
    default: []
  labels:
    description:
      - Extra container labels. Only these and the C(io.sparkflows.*) labels are compared.
      - Labels are metadata listed with the container, not a place for secrets. The value of a
        label whose name looks secret (the rule of O(env)) is still never shown, and the module warns.
    type: dict
    default: {}
  memory:
    description:
      - Memory limit, for example V(512m) or V(2g); V(0) for none. A new or changed limit is
        applied in place; lifting a limit (V(0)) recreates the container, since the engine cannot
        lift one in place. Unset, the container's limit is not compared.
    type: str
  cpus:
    description:
      - CPU limit in CPUs, for example V(1.5); V(0) for none. A new or changed limit is applied in
        place; lifting one (V(0)) recreates the container. Unset, the container's limit is not compared.
    type: float
  restart_policy:
    description:
      - Docker restart policy; the default brings scorers back after the engine or the host restarts.
        Changed in place.
    type: str
    choices: ['no', always, on-failure, unless-stopped]
    default: unless-stopped
  health_path:
    description:
      - Route of the scorer answered with a 2xx once the model is loaded.
    type: str
    default: /health
  health_timeout:
    description:
      - Seconds a (re)started container has to pass the health gate.
    type: float
    default: 120.0
  smoke_path:
    description:
      - Scoring route that O(smoke_payload) is posted to.
    type: str
    default: /predict
  smoke_payload:
    description:
      - 'A sample to score (pandas split-oriented JSON, for example
        C({"columns": ["age", "plan"], "data": [[42, "gold"]]})), as a dict or a JSON string. When set,
        a (re)started container must answer it with a 2xx before it counts as healthy.'
    type: raw
  update_strategy:
    description:
      - V(blue_green) tries the new configuration beside the serving container first (see the description).
      - V(recreate) stops and removes the old container, then starts the new one.
    type: str
    choices: [blue_green, recreate]
    default: blue_green
  stop_timeout:
    description:
      - Seconds a container has to stop after C(SIGTERM) before it is killed.
    type: int
    default: 10
seealso:
  - module: sparkflows.mlops.sparkflows_info
  - module: sparkflows.mlops.sparkflows_model_fetch
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Ask Sparkflows for its release
  sparkflows.mlops.sparkflows_info:
    api_url: https://sparkflows.example.net:8443
    api_token: "{{ sparkflows_api_token }}"
  register: sparkflows

- name: Download the churn model
  sparkflows.mlops.sparkflows_model_fetch:
    api_url: https://sparkflows.example.net:8443
    api_token: "{{ sparkflows_api_token }}"
    model_name: churn-model
    stage: Production
    dest: /srv/sparkflows-scorer/churn-model.zip
  register: churn_model

- name: Score the churn model on port 8081, on the scorer image of the same release
  sparkflows.mlops.scorer_container:
    name: scorer-churn-model
    image: registry.example.net/sparkflows/scorer
    sparkflows_release: "{{ sparkflows.release }}"
    registry_username: puller
    registry_password: "{{ registry_password }}"
    model_path: "{{ churn_model.path }}"
    model_id: "{{ churn_model.model_id }}"
    model_sha256: "{{ churn_model.sha256 }}"
    host_port: 8081
    memory: 2g
    smoke_payload:
      columns: [age, plan]
      data: [[42, gold]]

# scorer_db_password and feature_store_dsn come from an AWX credential's extra vars, or from
# Vault: "{{ lookup('community.hashi_vault.vault_kv2_get', 'scorer/db').secret.password }}".
- name: Score it with secrets in its environment, never shown
  sparkflows.mlops.scorer_container:
    name: scorer-churn-model
    image: registry.example.net/sparkflows/scorer
    sparkflows_release: "{{ sparkflows.release }}"
    model_path: "{{ churn_model.path }}"
    host_port: 8081
    env:
      SCORER_THREADS: "4"
      # Hidden by its name.
      DB_PASSWORD: "{{ scorer_db_password }}"
      # Hidden because it is listed in secret_env.
      FEATURE_STORE_DSN: "{{ feature_store_dsn }}"
    secret_env: [FEATURE_STORE_DSN]

- name: Remove it
  sparkflows.mlops.scorer_container:
    name: scorer-churn-model
    state: absent
'''

RETURN = r'''
container:
  description: The scorer container after the run (in check mode, as it would be). None when O(state=absent).
  returned: success
  type: dict
  contains:
    name: {description: Container name., type: str, sample: scorer-churn-model}
    id: {description: Container id (None in check mode for a container not yet created)., type: str}
    image: {description: Image reference run., type: str, sample: registry.example.net/sparkflows/scorer:3.1.0}
    image_id: {description: Image id run (None in check mode when the image would be pulled)., type: str}
    image_digest:
      description: Registry digest of that image in O(image) (C(sha256:...)); None for an image never pulled.
      type: str
    model_id: {description: O(model_id)., type: str, sample: '101'}
    model_sha256: {description: O(model_sha256)., type: str}
    release: {description: O(sparkflows_release)., type: str, sample: 3.1.0}
    host_port: {description: O(host_port)., type: int, sample: 8081}
    running: {description: Whether the container runs., type: bool}
changed_fields:
  description: The compared fields that differed (all of them for a new container).
  returned: success and O(state) is not V(absent)
  type: list
  elements: str
  sample: [image_id, labels]
recreated:
  description: Whether an existing container was replaced.
  returned: success and O(state) is not V(absent)
  type: bool
health:
  description: The health gate of a (re)started container; None when none ran.
  returned: success and O(state) is not V(absent)
  type: dict
  contains:
    url: {description: Health URL checked., type: str, sample: 'http://127.0.0.1:8081/health'}
    seconds: {description: Seconds until healthy., type: float}
    smoke:
      description: The smoke score, when O(smoke_payload) is set.
      type: dict
      contains:
        status: {description: HTTP status., type: int, sample: 200}
        seconds: {description: Seconds the score took., type: float}
        response: {description: Start of the response body., type: str}
actions:
  description: What the run did, in order.
  returned: always
  type: list
  elements: str
  sample: [pulled registry.example.net/sparkflows/scorer:3.1.0, created scorer-churn-model, started scorer-churn-model]
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.container import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
