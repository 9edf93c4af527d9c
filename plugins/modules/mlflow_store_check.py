#!/usr/bin/python
# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: mlflow_store_check
short_description: Prove, from the MLflow host, that its PostgreSQL backend store and S3 artifact store take its credentials
version_added: 0.2.0
description:
  - Logs in to PostgreSQL (O(postgresql)) as MLflow will, once for each of O(postgresql.databases)
    (the tracking and the auth database), and lists at most one key of the artifact bucket
    (O(s3)) with the access key MLflow will use, B(from the managed host), so that a role can
    refuse bad input before it installs or changes anything.
  - Needs only Python's standard library on the host (no psycopg2, no boto3); it speaks the
    PostgreSQL protocol itself up to the end of the login (no query is run) and signs one S3
    C(ListObjectsV2) request with AWS Signature Version 4.
  - Each problem fails the task with one message that names it (PostgreSQL that does not answer,
    a TLS certificate that is not trusted, a wrong password, a database that does not exist, a
    bucket that does not exist, an access key or a secret key that S3 refuses, access denied to
    the bucket, a bucket in another region); all problems found are reported together in
    RV(problems). No message or result holds a password or a key.
  - Changes nothing; every connection is bounded by its O(postgresql.timeout) or
    O(s3.timeout), and nothing is retried (but for O(postgresql.sslmode=prefer), tried again
    without TLS once when the TLS handshake fails, as libpq does).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Runs as in a normal run; it changes nothing.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: posix
options:
  postgresql:
    description:
      - The PostgreSQL backend store to log in to. At least one of O(postgresql) and O(s3).
    type: dict
    suboptions:
      host:
        description:
          - Address of the server as the managed host reaches it, or, starting with C(/), the
            directory of its Unix socket (as in libpq; for example C(/var/run/postgresql)).
        type: str
        required: true
      port:
        description:
          - Port of the server (on a Unix socket, the number in the socket's name).
        type: int
        default: 5432
      user:
        description:
          - The role MLflow logs in as.
        type: str
        required: true
      password:
        description:
          - Its password; needed unless C(pg_hba.conf) trusts the host.
          - Authentication methods spoken are C(scram-sha-256), C(md5), C(password) and C(trust).
        type: str
      databases:
        description:
          - The databases the user must be able to connect to, each checked with a login of its
            own (for MLflow, the tracking database and the auth database).
        type: list
        elements: str
        required: true
      sslmode:
        description:
          - TLS to the server, as libpq's C(sslmode).
          - V(verify-full), the default, requires TLS and a certificate for O(postgresql.host)
            issued by a CA of O(postgresql.ca_path) (else of the host's system CA store, as
            libpq's C(sslrootcert=system)).
          - V(verify-ca) requires TLS and a certificate of such a CA, whatever its name.
          - V(require) requires TLS, and verifies the certificate as V(verify-ca) only when
            O(postgresql.ca_path) is given.
          - V(prefer) speaks TLS when the server does, without verifying anything (as libpq),
            V(disable) never speaks it. Both send the password, or what proves it, unprotected
            against a man in the middle; use them only on a network you trust.
          - On a Unix socket, TLS is not used whatever the mode, as in libpq.
        type: str
        choices: [disable, prefer, require, verify-ca, verify-full]
        default: verify-full
      ca_path:
        description:
          - CA bundle file (PEM) on the managed host that the server's certificate must chain to.
        type: path
      timeout:
        description:
          - Seconds allowed for each login, from the connection to the end of the login.
        type: int
        default: 10
  s3:
    description:
      - The S3 or S3-compatible artifact store to list. At least one of O(postgresql) and O(s3).
    type: dict
    suboptions:
      bucket:
        description:
          - Name of the bucket.
        type: str
        required: true
      prefix:
        description:
          - The key prefix the artifacts go under (the path of the artifact root in the bucket,
            for example C(mlflow/) of C(s3://bucket/mlflow/)); the listing is limited to it, so
            an access key allowed only that prefix passes.
        type: str
        default: ''
      endpoint_url:
        description:
          - URL of an S3-compatible endpoint (MinIO, Ceph RGW, ...), as MLflow's
            C(MLFLOW_S3_ENDPOINT_URL), for example C(https://minio.example.net:9000).
          - Empty for AWS, C(https://s3.<region>.amazonaws.com).
        type: str
        default: ''
      region:
        description:
          - Region the request is signed for, the bucket's region on AWS.
        type: str
        default: us-east-1
      access_key:
        description:
          - Access key ID.
        type: str
        required: true
      secret_key:
        description:
          - Secret access key.
        type: str
        required: true
      session_token:
        description:
          - Session token of temporary credentials (AWS STS).
        type: str
      path_style:
        description:
          - Whether the bucket is addressed in the path (C(ENDPOINT/BUCKET)) rather than in the
            host name (C(BUCKET.ENDPOINT)).
          - Unset, as boto3 (which MLflow uses) does by default - path style with
            O(s3.endpoint_url) or a bucket name with dots, the host name on AWS's own endpoint.
        type: bool
      validate_certs:
        description:
          - Whether the endpoint's TLS certificate is verified (its chain and its name).
          - Set V(false) only for a test endpoint; the secret key is never sent, but the request
            and its answer can then be read or changed by anyone in between.
        type: bool
        default: true
      ca_path:
        description:
          - CA bundle file (PEM) on the managed host that the endpoint's certificate must chain to;
            unset, the host's system CA store.
        type: path
      timeout:
        description:
          - Seconds allowed for the connection and for each read of the answer.
        type: int
        default: 10
notes:
  - The request goes straight to the endpoint; proxy environment variables are not used.
  - Temporary credentials from an instance profile or a web identity are not fetched; give the
    access key (and O(s3.session_token)) MLflow is given.
seealso:
  - name: PostgreSQL protocol flow
    description: The start-up and authentication messages this module speaks.
    link: https://www.postgresql.org/docs/current/protocol-flow.html
  - name: Authenticating requests (AWS Signature Version 4)
    description: The signature of the S3 request.
    link: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
author:
  - sparkflows.mlops maintainers (@sparkflows)
'''

EXAMPLES = r'''
- name: Before installing MLflow, check its PostgreSQL store (TLS verified) and its artifact bucket on AWS
  sparkflows.mlops.mlflow_store_check:
    postgresql:
      host: db.example.net
      port: 5432
      user: mlflow
      password: "{{ mlflow_db_password }}"
      databases: [mlflow, mlflow_auth]
      ca_path: /etc/ssl/certs/db-example-ca.pem
    s3:
      bucket: mlflow-artifacts
      prefix: experiments/
      region: us-east-1
      access_key: "{{ mlflow_s3_access_key }}"
      secret_key: "{{ mlflow_s3_secret_key }}"
  register: stores

- name: PostgreSQL on this host's Unix socket, and a MinIO bucket on the local network
  sparkflows.mlops.mlflow_store_check:
    postgresql:
      host: /var/run/postgresql
      user: mlflow
      password: "{{ mlflow_db_password }}"
      databases: [mlflow, mlflow_auth]
    s3:
      bucket: mlflow
      endpoint_url: https://minio.example.net:9000
      ca_path: /etc/ssl/certs/minio-example-ca.pem
      access_key: "{{ mlflow_s3_access_key }}"
      secret_key: "{{ mlflow_s3_secret_key }}"
'''

RETURN = r'''
postgresql:
  description: What the logins to PostgreSQL found.
  returned: when O(postgresql) is given
  type: dict
  contains:
    host: {description: O(postgresql.host)., type: str, sample: db.example.net}
    port: {description: O(postgresql.port)., type: int, sample: 5432}
    user: {description: O(postgresql.user)., type: str, sample: mlflow}
    server_version:
      description: The server's version (its C(server_version) parameter); null when no login succeeded.
      type: str
      sample: 15.18 (Debian 15.18-0+deb12u1)
    tls:
      description: The TLS version of the last successful login; null without TLS.
      type: str
      sample: TLSv1.3
    auth:
      description: The authentication method the server asked for (C(scram-sha-256), C(md5), C(password), C(trust)).
      type: str
      sample: scram-sha-256
    databases:
      description: Each of O(postgresql.databases), in order.
      type: list
      elements: dict
      contains:
        name: {description: The database., type: str, sample: mlflow}
        ok: {description: Whether the user logged in to it., type: bool}
        problem:
          description:
            - Why not; null when it did. A problem of the server as a whole (it does not answer,
              TLS, the password) ends the check and is given for every database.
          type: str
s3:
  description: What the listing of the bucket found.
  returned: when O(s3) is given
  type: dict
  contains:
    endpoint: {description: The endpoint the request went to., type: str, sample: 'https://s3.us-east-1.amazonaws.com'}
    url:
      description: The URL listed, without its query; returned when the request was made.
      type: str
      sample: https://mlflow-artifacts.s3.us-east-1.amazonaws.com/
    bucket: {description: O(s3.bucket)., type: str, sample: mlflow-artifacts}
    prefix: {description: O(s3.prefix)., type: str, sample: experiments/}
    region: {description: O(s3.region)., type: str, sample: us-east-1}
    path_style: {description: Whether the bucket was addressed in the path; returned when the request was made., type: bool}
    reachable: {description: Whether the bucket was listed., type: bool}
    prefix_has_objects: {description: Whether a key exists under the prefix; returned when the bucket was listed., type: bool}
    problem: {description: Why the bucket was not listed; null when it was., type: str}
    code:
      description: S3's error code of the answer, such as C(NoSuchBucket); null without one.
      type: str
      sample: NoSuchBucket
problems:
  description: Every problem found, one message each (the task fails when there is one; its C(msg) joins them with C(; )).
  returned: always
  type: list
  elements: str
  sample: ["PostgreSQL at db.example.net:5432 refused user mlflow: password authentication failed (a wrong password, or no such user)"]
seconds:
  description: Time the checks took.
  returned: when the options were valid
  type: float
'''

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.store_check import run_module


def main():
    run_module()


if __name__ == '__main__':
    main()
