"""Secret values are masked by the names of their keys."""

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import MASK, is_secret, is_secret_key, masked, secret_values


def test_secrets_are_masked():
    assert masked({"mlops.mlflow.password": "s3cret", "mlops.aws.s3.secret.key": "k", "mlops.port": "5000",
                   "mlops.mlflow.password.empty": ""}) == {
        "mlops.mlflow.password": MASK, "mlops.aws.s3.secret.key": MASK, "mlops.port": "5000",
        "mlops.mlflow.password.empty": ""}


def test_secret_looking_names():
    assert [is_secret_key(n) for n in ("DB_PASSWORD", "api_token", "ssh_private_key", "mlops.port")] \
        == [True, True, True, False]


def test_secret_names_are_the_secret_looking_and_the_listed_ones():
    assert [is_secret(n, ["DSN"]) for n in ("DB_PASSWORD", "DSN", "dsn", "THREADS")] == [True, True, False, False]
    assert masked({"DSN": "x", "THREADS": "2", "API_TOKEN": ""}, ["DSN"]) == {"DSN": MASK, "THREADS": "2", "API_TOKEN": ""}


def test_secret_values_are_every_text_a_secret_takes():
    values = secret_values({"DB_PASSWORD": "hunter2", "PORT": 5432, "DSN": "postgres://u:pw@db/x", "PIN": 1234,
                            "NESTED_SECRET": {"a": "inner", "b": ["deep"]}, "EMPTY_TOKEN": "",
                            "NO_TOKEN": None, "FLAG_SECRET": True}, ["DSN", "PIN"])
    assert values == {"hunter2", "postgres://u:pw@db/x", "1234", "inner", "deep",
                      str({"a": "inner", "b": ["deep"]}), str(["deep"])}
    assert secret_values({}) == set() and secret_values(None) == set()
