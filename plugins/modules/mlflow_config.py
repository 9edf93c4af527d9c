#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mlflow_config
short_description: Set the MLflow configuration of Sparkflows (Administration > Configuration > MLflow)
version_added: 0.1.0
description:
  - Sets, through the Sparkflows REST API, the MLflow tracking URL, MLflow login, deploy mode,
    Fire MLOps host and port, the SSH key path of remote mode, the S3 registry store the Fire MLOps
    server reaches (access key, secret key, endpoint URL, ignore TLS), and the deployment target
    of registered models (Kubeflow or SageMaker) with its settings.
  - Only the keys of the options you set (and of O(settings)) are compared and changed; every
    other configuration key keeps its value. By default (O(write_scope=whole_set)) the whole
    configuration set is read, changed and written back (read-modify-write), so a server whose
    C(POST /api/v1/configurations) replaces the whole set loses nothing. The body takes the shape
    C(GET /api/v1/configurations/infer) answers where the server serves it (the documented way
    to learn what the POST takes), else the shape C(GET /api/v1/configurations) answered; a shape
    whose written form is not known (a Spring Data page without C(/infer)) fails before anything
    is written, naming it.
  - A value the server showed masked (C(********), C(****1234), C(<hidden>), C([PROTECTED]),
    C($encrypted$)) is never written back. When writing the whole set would carry one (an S3
    secret key, another tool's password, the MLflow password kept under
    O(update_password=on_create)), the task fails before writing, naming those keys; set
    O(write_scope=changed_entries) for a server that keeps what a POST does not name, or give
    their values in O(settings).
  - After writing, the configuration is read back. When the server did not keep a key (it does
    not define that name), the configuration is restored as it was read (a key it showed masked
    keeps the value written, never the mask) and the task fails, naming each such key; set its
    name with O(key_map) (or correct it in O(settings)). A value read back masked counts as kept.
  - A configuration answer of a shape the collection does not recognise fails, naming the
    endpoint and what came, before anything is written.
  - Every option is checked before anything is sent, in check mode too. A deployment target's
    missing options, another target's options, a port outside 1-65535, an account id or ARN of
    the wrong form, or a secret given as a mask (C(********), a value copied from a masked
    answer) fail naming them, and nothing is written.
  - Needs a Sparkflows administrator.
extends_documentation_fragment:
  - sparkflows.mlops.sparkflows
  - sparkflows.mlops.sparkflows.actiongroup_sparkflows
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the configuration (and C(/infer)), writes nothing; a write that would be refused (a masked
      value to carry, an unknown shape) fails as it would without check mode.
  diff_mode:
    support: full
    details: Before and after of the managed keys, secrets masked.
  platform:
    platforms: all
options:
  state:
    description:
      - V(present) sets the given options; V(absent) empties every key of O(key_map) (the S3 store
        and deployment target keys too) and of O(settings).
    type: str
    choices: [present, absent]
    default: present
  tracking_url:
    description:
      - MLflow tracking server URL, for example V(http://mlflow.example.net:5000).
    type: str
  username:
    description:
      - MLflow login username, if the tracking server asks for one.
    type: str
  password:
    description:
      - MLflow login password. Never shown; a different password is reported as a change.
    type: str
  update_password:
    description:
      - V(always) writes O(password) when it differs from the stored one; V(on_create) only
        when no password is stored yet.
      - Also applies to every other secret of the task (O(s3_access_key), O(s3_secret_key),
        O(kubeflow.password), O(secret_settings), settings whose names say secret, keys the server
        shows masked).
      - A server that shows the stored password masked cannot tell whether it differs, so
        V(always) writes it, and reports a change, on every run; V(on_create) then keeps it.
    type: str
    choices: [always, on_create]
    default: always
  deploy_mode:
    description:
      - V(fire_mlops_server) (production; Sparkflows and MLflow on separate machines, the Fire
        MLOps server beside MLflow) needs O(fire_mlops_host) and O(fire_mlops_port).
      - V(local) (Sparkflows and MLflow on the same machine).
      - V(remote) (separate machines with SSH access from Sparkflows to MLflow) needs O(ssh_key_path).
    type: str
    choices: [fire_mlops_server, local, remote]
  fire_mlops_host:
    description:
      - Host of the Fire MLOps server that runs beside MLflow.
    type: str
  fire_mlops_port:
    description:
      - Port of the Fire MLOps server (8086 by default on its side).
    type: int
  ssh_key_path:
    description:
      - Path, on the Sparkflows host, of the SSH private key that opens the MLflow host.
    type: str
  s3_access_key:
    description:
      - Access key id of the S3 (or S3-compatible) store MLflow keeps its registry and artifacts in,
        as the Fire MLOps server uses it. A secret - never shown, under O(update_password).
    type: str
  s3_secret_key:
    description:
      - Secret access key of that S3 store. Never shown, under O(update_password).
    type: str
  s3_endpoint_url:
    description:
      - Endpoint of an S3-compatible store (MinIO, Ceph), as Sparkflows' own example writes it
        (V(10.2.0.10:9000)) or as a URL; unset for AWS S3.
    type: str
  s3_ignore_tls:
    description:
      - Whether the Fire MLOps server skips the verification of the S3 endpoint's TLS certificate;
        written as V(true) or V(false).
    type: bool
  deployment_target:
    description:
      - Where Sparkflows deploys registered models besides MLflow, written to C(mlops.target.deployment).
      - V(none) writes nothing about deployment targets (the stored target and its settings keep
        their values); O(kubeflow) and O(sagemaker) are then refused.
      - V(kubeflow) writes V(kubeflow) and the options of O(kubeflow); O(sagemaker) is refused.
      - V(sagemaker) writes V(sagemaker) and the options of O(sagemaker); O(kubeflow) is refused.
        Sparkflows documents the SageMaker keys but not this value of C(mlops.target.deployment);
        check it against your release (O(settings) can set another).
      - The refusals name the options refused, before anything is sent.
    type: str
    choices: [none, kubeflow, sagemaker]
    default: none
  kubeflow:
    description:
      - The Kubeflow deployment target's settings (O(deployment_target=kubeflow)), each written under
        its key of O(key_map), where its name takes the prefix C(kubeflow_) (O(kubeflow.namespace) is
        C(kubeflow_namespace)).
      - O(deployment_target=kubeflow) needs O(kubeflow.namespace), O(kubeflow.docker_registry),
        O(kubeflow.docker_context_path), O(kubeflow.fire_server_jar_name), O(kubeflow.container_port),
        O(kubeflow.service_port) and O(kubeflow.service_target_port) - where the model's image is
        built, pushed and how its service is exposed, which no Kubeflow deployment does without.
        The login, the two config paths and O(kubeflow.hostport) are optional, as Sparkflows leaves
        them empty when it runs inside the Kubernetes cluster.
      - An option left out keeps its stored value; an empty string empties it.
    type: dict
    suboptions:
      username:
        description: Kubeflow login username (C(mlops.kubeflow.username)).
        type: str
      password:
        description: Kubeflow login password (C(mlops.kubeflow.password)). Never shown, under O(update_password).
        type: str
      namespace:
        description: Kubeflow namespace models are deployed in (C(mlops.kubeflow.namespace)). Required.
        type: str
      config_path:
        description: Path of the Kubeflow configuration on the Sparkflows host (C(mlops.kubeflow.config.path)).
        type: str
      hostport:
        description: Host and port of Kubeflow as Sparkflows reaches it (C(mlops.kubeflow.hostport)).
        type: str
      docker_registry:
        description: Docker registry the model images are pushed to, for example V(10.102.54.230:5000)
          (C(mlops.docker.registry.sparkflows)). Required.
        type: str
      docker_context_path:
        description: Directory of the Docker build context on the Sparkflows host (C(mlops.docker.context.path)). Required.
        type: str
      fire_server_jar_name:
        description: File name of the Fire server jar put in the image, for example
          V(fire-spark_3.2.1-server-3.1.0-jar-with-dependencies.jar) (C(mlops.fire.server.jar.name)). Required.
        type: str
      container_port:
        description: Port the model's container listens on, 1-65535 (C(mlops.deployment.container.port)). Required.
        type: int
      service_port:
        description: Port of the model's Kubernetes service, 1-65535, for example V(80) (C(mlops.service.port)). Required.
        type: int
      service_target_port:
        description: Port the service forwards to, 1-65535, for example V(5000) (C(mlops.service.target.port)). Required.
        type: int
      timeout:
        description: Deployment timeout (C(mlops.timeout)), at least 1; Sparkflows' documentation gives no unit.
        type: int
      kubernetes_config_path:
        description: Path of the kubeconfig on the Sparkflows host (C(mlops.kubernetes.config.path)).
        type: str
      kubernetes_images_namespace:
        description: Namespace of the model images (C(mlops.kubernetes.images.namespace)).
        type: str
  sagemaker:
    description:
      - The SageMaker deployment target's settings (O(deployment_target=sagemaker)), each written under
        its key of O(key_map), where its name takes the prefix C(sagemaker_) (O(sagemaker.arn) is C(sagemaker_arn)).
      - O(deployment_target=sagemaker) needs all three, as a SageMaker deployment needs the region of
        its endpoint, the account of the ECR image and the role it runs as.
    type: dict
    suboptions:
      region:
        description: AWS region, for example V(us-east-1) (C(mlops.region)). Required.
        type: str
      aws_id:
        description:
          - AWS account id, 12 digits (C(mlops.aws_id)). Required.
          - Quote it in YAML, or an id with a leading zero is read as a number and refused.
        type: str
      arn:
        description:
          - ARN of the IAM role SageMaker deploys with (C(mlops.arn)), for example
            V(arn:aws:iam::123456789012:role/sagemaker-execution); any ARN of the form
            C(arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) is taken. Required.
        type: str
  settings:
    description:
      - Further configuration keys and values to set as they are, for example
        C(mlops.models.state.values) or C(mlops.aws.s3.endpoint.url).
      - Values whose key names a password, secret, token, credential, access key or private key,
        and the values of the keys in O(secret_settings), are never shown - not in the result,
        the diff, nor the module arguments Ansible logs at C(-vvv) or in JSON callbacks.
    type: dict
    default: {}
  secret_settings:
    description:
      - Keys of O(settings) whose values are secrets although their names do not say so.
    type: list
    elements: str
    default: []
  key_map:
    description:
      - Overrides of the configuration key an option is stored under. Defaults are
        C(tracking_url=mlops.mlflow.trackingURL), C(deploy_mode=mlops.mlflow.deploy.mode),
        C(username=mlops.mlflow.username), C(password=mlops.mlflow.password),
        C(fire_mlops_host=mlops.fire.mlops.host), C(fire_mlops_port=mlops.fire.mlops.port),
        C(ssh_key_path=mlops.mlflow.ssh.key.path).
      - The S3 store and deployment target options, documented by Sparkflows - C(s3_access_key=mlops.aws.s3.access.key),
        C(s3_secret_key=mlops.aws.s3.secret.key), C(s3_endpoint_url=mlops.aws.s3.endpoint.url),
        C(s3_ignore_tls=mlops.aws.s3.ignore.tls), C(deployment_target=mlops.target.deployment);
        C(kubeflow_username=mlops.kubeflow.username), C(kubeflow_password=mlops.kubeflow.password),
        C(kubeflow_namespace=mlops.kubeflow.namespace), C(kubeflow_config_path=mlops.kubeflow.config.path),
        C(kubeflow_hostport=mlops.kubeflow.hostport), C(kubeflow_docker_registry=mlops.docker.registry.sparkflows),
        C(kubeflow_docker_context_path=mlops.docker.context.path),
        C(kubeflow_fire_server_jar_name=mlops.fire.server.jar.name),
        C(kubeflow_container_port=mlops.deployment.container.port), C(kubeflow_service_port=mlops.service.port),
        C(kubeflow_service_target_port=mlops.service.target.port), C(kubeflow_timeout=mlops.timeout),
        C(kubeflow_kubernetes_config_path=mlops.kubernetes.config.path),
        C(kubeflow_kubernetes_images_namespace=mlops.kubernetes.images.namespace);
        C(sagemaker_region=mlops.region), C(sagemaker_aws_id=mlops.aws_id), C(sagemaker_arn=mlops.arn).
      - The tracking URL, deploy mode and these are documented by Sparkflows; check the others
        against your release. A key of a secret option (C(password), C(s3_access_key),
        C(s3_secret_key), C(kubeflow_password)) is masked whatever it is named.
    type: dict
    default: {}
  write_scope:
    description:
      - V(whole_set) writes the whole configuration set back with the changes applied (right for
        every server); refused before writing when the set holds a value the server showed masked
        (other than the keys being changed).
      - V(changed_entries) writes only the entries being changed (an entry read keeps its other
        fields, such as its id), only for a server that keeps the settings a POST does not name.
        The read-back checks it; if the server dropped the other settings, the task fails naming
        them (they must then be set again by hand).
    type: str
    choices: [whole_set, changed_entries]
    default: whole_set
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Point Sparkflows at an MLflow server with the Fire MLOps server beside it
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    tracking_url: http://mlflow.example.net:5000
    username: mlflow-admin
    password: "{{ mlflow_password }}"
    deploy_mode: fire_mlops_server
    fire_mlops_host: mlflow.example.net
    fire_mlops_port: 8086

# The password set above is now stored, and a server may show it masked: this task does not
# give it, so writing the whole set back would carry the mask. On a Sparkflows that keeps the
# settings a POST does not name, write only the changed entries.
- name: Remote mode, with the SSH key Sparkflows uses to reach the MLflow host
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    tracking_url: http://mlflow.example.net:5000
    deploy_mode: remote
    ssh_key_path: /home/sparkflows/.ssh/mlflow_ed25519
    write_scope: changed_entries

# The S3 keys come from the controller's environment here (empty when unset: then nothing is
# stored for them); a vault variable does as well.
- name: The S3 registry store and the Kubeflow deployment target (fire_mlops_server mode)
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    deploy_mode: fire_mlops_server
    fire_mlops_host: mlflow.example.net
    fire_mlops_port: 8086
    s3_access_key: "{{ lookup('ansible.builtin.env', 'MLFLOW_S3_ACCESS_KEY') }}"
    s3_secret_key: "{{ lookup('ansible.builtin.env', 'MLFLOW_S3_SECRET_KEY') }}"
    s3_endpoint_url: https://minio.example.net:9000
    s3_ignore_tls: false
    deployment_target: kubeflow
    kubeflow:
      namespace: sparkflows
      docker_registry: registry.example.net:5000
      docker_context_path: /usr/local/mlops
      fire_server_jar_name: fire-spark_3.2.1-server-3.1.0-jar-with-dependencies.jar
      container_port: 5000
      service_port: 80
      service_target_port: 5000
      kubernetes_images_namespace: sparkflows
    write_scope: changed_entries

- name: The SageMaker deployment target
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    deployment_target: sagemaker
    sagemaker:
      region: us-east-1
      aws_id: "123456789012"
      arn: arn:aws:iam::123456789012:role/sagemaker-execution
    write_scope: changed_entries

- name: Clear the MLflow configuration
  sparkflows.mlops.mlflow_config:
    api_url: http://127.0.0.1:8080
    api_token: "{{ sparkflows_token }}"
    state: absent
'''

RETURN = r'''
changed_keys:
  description: Configuration keys written (or that would be written in check mode).
  returned: success
  type: list
  elements: str
  sample: ["mlops.mlflow.deploy.mode"]
configuration:
  description: The managed keys after the task, secrets masked.
  returned: success
  type: dict
  sample: {"mlops.mlflow.trackingURL": "http://mlflow:5000", "mlops.mlflow.password": "********",
           "mlops.aws.s3.secret.key": "********", "mlops.aws.s3.ignore.tls": "false"}
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.mlflow_config import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
