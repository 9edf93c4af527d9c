"""Secret values are masked by the names of their keys."""

from ansible_collections.sparkflows.mlops.plugins.module_utils._masking import MASK, is_secret_key, masked


def test_secrets_are_masked():
    assert masked({"mlops.mlflow.password": "s3cret", "mlops.aws.s3.secret.key": "k", "mlops.port": "5000",
                   "mlops.mlflow.password.empty": ""}) == {
        "mlops.mlflow.password": MASK, "mlops.aws.s3.secret.key": MASK, "mlops.port": "5000",
        "mlops.mlflow.password.empty": ""}


def test_secret_looking_names():
    assert [is_secret_key(n) for n in ("DB_PASSWORD", "api_token", "ssh_private_key", "mlops.port")] \
        == [True, True, True, False]
