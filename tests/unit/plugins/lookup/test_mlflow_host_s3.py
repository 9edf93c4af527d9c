"""mlflow_host_s3: the contract between roles mlflow_host and sparkflows_mlflow - the MLflow
host's S3 store, read from its variables (a plain dict here) only when its artifacts go to S3."""

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sparkflows.mlops.plugins.lookup.mlflow_host_s3 import LookupModule, host_s3

S3 = {"mlflow_host_artifacts_destination": "s3://bucket/mlflow", "mlflow_host_s3_access_key": "AKIAEXAMPLE",
      "mlflow_host_s3_secret_key": "Secret-0", "mlflow_host_s3_endpoint_url": "https://minio:9000",
      "mlflow_host_s3_validate_certs": "no"}


def test_an_s3_host_gives_its_store():
    assert host_s3(S3) == {"s3": True, "access_key": "AKIAEXAMPLE", "secret_key": "Secret-0",
                           "endpoint_url": "https://minio:9000", "validate_certs": False}


def test_a_host_with_local_artifacts_gives_no_credentials_but_its_tls_choice():
    local = dict(S3, mlflow_host_artifacts_destination="/var/lib/mlflow/artifacts")
    assert host_s3(local) == {"s3": False, "access_key": "", "secret_key": "", "endpoint_url": "",
                              "validate_certs": False}


@pytest.mark.parametrize("host", ["", "external-mlflow"])
def test_no_host_or_one_ansible_does_not_manage_gives_no_store(host):
    assert LookupModule().run([host], {"hostvars": {"mlflow1": S3}}) == [
        {"s3": False, "access_key": "", "secret_key": "", "endpoint_url": "", "validate_certs": True}]


def test_a_wrong_validate_certs_is_refused_naming_it():
    with pytest.raises(AnsibleLookupError, match="mlflow_host_s3_validate_certs"):
        host_s3(dict(S3, mlflow_host_s3_validate_certs="perhaps"))


def test_one_host_only():
    with pytest.raises(AnsibleLookupError, match="one MLflow host"):
        LookupModule().run(["a", "b"], {"hostvars": {}})
