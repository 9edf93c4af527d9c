"""mlflow_host_stores: the filter gives _mlflow.stores' answer, its refusals as filter errors that
show neither the URI nor the password, and its documented example works."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter import mlflow_host_stores as plugin
from ansible_collections.sparkflows.mlops.plugins.filter.mlflow_host_stores import FilterModule, mlflow_host_stores
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.stores import stores

URI = "postgresql://mlflow:Filter-S3cret@db1.example.net/mlflow"


def test_the_answer_is_the_module_utils_one():
    given = {"backend_store_uri": URI, "artifacts_destination": "/var/lib/mlflow/artifacts"}
    assert mlflow_host_stores(given) == stores(given)


def test_the_documented_example_gives_a_uri_without_the_password():
    inputs = {"db_host": "db1", "db_user": "mlflow", "db_password": "x", "db_name": "mlflow",
              "db_auth_name": "mlflow_auth", "artifacts_destination": "/var/lib/mlflow/artifacts"}
    assert "db_password': 'x'" in plugin.EXAMPLES
    assert mlflow_host_stores(inputs)["tracking_uri"] == "postgresql+psycopg2://mlflow@db1:5432/mlflow?sslmode=disable"


def test_a_refusal_is_a_filter_error_without_the_uri():
    with pytest.raises(AnsibleFilterError) as refused:
        mlflow_host_stores({"backend_store_uri": URI, "auth_store_uri": URI,
                            "artifacts_destination": "/var/lib/mlflow/artifacts"})
    assert "separate databases" in str(refused.value)
    assert "Filter-S3cret" not in str(refused.value) and URI not in str(refused.value)


@pytest.mark.parametrize("value", [None, "postgresql://x", ["db_host"]])
def test_anything_but_a_dict_is_refused(value):
    with pytest.raises(AnsibleFilterError, match="mlflow_host_stores takes a dict"):
        mlflow_host_stores(value)


def test_the_documentation_parses_and_the_filter_is_registered():
    for text in (plugin.DOCUMENTATION, plugin.EXAMPLES, plugin.RETURN):
        assert yaml.safe_load(text)
    assert FilterModule().filters() == {"mlflow_host_stores": mlflow_host_stores}
