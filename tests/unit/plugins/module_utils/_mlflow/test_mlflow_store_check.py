"""mlflow_store_check's flow: a problem of the PostgreSQL server is reported once and ends its
check, a problem of one database is that database's; the S3 result; the options refused before
any connection; which options are secrets; and the documentation matching the options."""

import yaml

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.store_check import (
    ARGUMENT_SPEC,
    check_postgresql,
    check_s3,
    option_problems,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.pg_probe import DATABASE, SERVER, PgProblem
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.s3_probe import S3Problem
from ansible_collections.sparkflows.mlops.plugins.modules import mlflow_store_check

PG = dict(host="db.example.net", port=5432, user="mlflow", password="Db-S3cret", databases=["mlflow", "mlflow_auth"],
          sslmode="verify-full", ca_path="/etc/ssl/db-ca.pem", timeout=10)
S3 = dict(bucket="mlflow-artifacts", prefix="experiments/", endpoint_url="", region="us-east-1",
          access_key="AKIAIOSFODNN7EXAMPLE", secret_key="S3-S3cret-Key", session_token=None, path_style=None,
          validate_certs=True, ca_path=None, timeout=10)
FOUND = dict(server_version="15.18", tls="TLSv1.3", auth="scram-sha-256")


class Logins(object):
    """A stand-in for _mlflow.pg_probe.login: answers (or raises) per database."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, host, port, user, password, database, sslmode, ca_path, timeout):
        self.calls.append((host, port, user, password, database, sslmode, ca_path, timeout))
        answer = self.answers[database]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_every_database_is_logged_in_to_with_the_options():
    logins = Logins({"mlflow": FOUND, "mlflow_auth": FOUND})
    result, problems = check_postgresql(PG, logins)
    assert problems == []
    assert result == dict(host="db.example.net", port=5432, user="mlflow", databases=[
        dict(name="mlflow", ok=True, problem=None), dict(name="mlflow_auth", ok=True, problem=None)], **FOUND)
    assert [call[4] for call in logins.calls] == ["mlflow", "mlflow_auth"]
    assert logins.calls[0] == ("db.example.net", 5432, "mlflow", "Db-S3cret", "mlflow", "verify-full",
                               "/etc/ssl/db-ca.pem", 10)


def test_a_problem_of_the_server_is_reported_once_and_ends_the_check():
    wrong = PgProblem("PostgreSQL at db.example.net:5432 refused user mlflow: password authentication failed", SERVER)
    logins = Logins({"mlflow": wrong, "mlflow_auth": FOUND})
    result, problems = check_postgresql(PG, logins)
    assert problems == [str(wrong)]
    assert [call[4] for call in logins.calls] == ["mlflow"]
    assert result["databases"] == [dict(name="mlflow", ok=False, problem=str(wrong)),
                                   dict(name="mlflow_auth", ok=False, problem=str(wrong))]
    assert result["server_version"] is None


def test_a_problem_of_one_database_leaves_the_others_checked():
    missing = PgProblem("database mlflow_auth does not exist on PostgreSQL at db.example.net:5432", DATABASE)
    result, problems = check_postgresql(PG, Logins({"mlflow": FOUND, "mlflow_auth": missing}))
    assert problems == [str(missing)]
    assert result["databases"] == [dict(name="mlflow", ok=True, problem=None),
                                   dict(name="mlflow_auth", ok=False, problem=str(missing))]
    assert result["server_version"] == "15.18"


def test_a_password_in_a_message_is_masked():
    echoed = PgProblem("PostgreSQL at db.example.net:5432 said Db-S3cret", DATABASE)
    result, problems = check_postgresql(dict(PG, databases=["mlflow"]), Logins({"mlflow": echoed}))
    assert problems == ["PostgreSQL at db.example.net:5432 said ********"]
    assert "Db-S3cret" not in str(result)


def test_the_s3_result_and_its_problem():
    def listed(bucket, access_key, secret_key, **options):
        assert (bucket, access_key, secret_key) == ("mlflow-artifacts", "AKIAIOSFODNN7EXAMPLE", "S3-S3cret-Key")
        assert options == dict(prefix="experiments/", endpoint_url="", region="us-east-1", path_style=None,
                               session_token=None, validate_certs=True, ca_path=None, timeout=10)
        return dict(endpoint="https://s3.us-east-1.amazonaws.com", bucket=bucket)

    result, problems = check_s3(S3, listed)
    assert (result, problems) == (dict(endpoint="https://s3.us-east-1.amazonaws.com", bucket="mlflow-artifacts",
                                       reachable=True, problem=None, code=None), [])

    def missing(bucket, access_key, secret_key, **options):
        raise S3Problem("S3 bucket mlflow-artifacts does not exist at https://s3.us-east-1.amazonaws.com",
                        "NoSuchBucket")

    result, problems = check_s3(S3, missing)
    assert problems == ["S3 bucket mlflow-artifacts does not exist at https://s3.us-east-1.amazonaws.com"]
    assert result == dict(bucket="mlflow-artifacts", prefix="experiments/", region="us-east-1",
                          endpoint="https://s3.us-east-1.amazonaws.com", reachable=False, problem=problems[0],
                          code="NoSuchBucket")


def test_options_out_of_range_are_refused_before_any_connection():
    assert option_problems(dict(postgresql=PG, s3=S3)) == []
    assert option_problems(dict(postgresql=dict(PG, port=0, timeout=0, databases=["mlflow", ""]),
                                s3=dict(S3, bucket="bucket/prefix", timeout=0, region=""))) == [
        "postgresql.port must be 1-65535, got 0",
        "postgresql.timeout must be at least 1 second",
        "postgresql.databases must name at least one database, and no empty name",
        "s3.timeout must be at least 1 second",
        "s3.bucket must be a bucket name (no slash), got 'bucket/prefix'",
        "s3.region must not be empty",
    ]


def test_the_secrets_are_no_log_and_nothing_else_is():
    secret = sorted("%s.%s" % (group, name) for group in ("postgresql", "s3")
                    for name, spec in ARGUMENT_SPEC[group]["options"].items() if spec.get("no_log"))
    assert secret == ["postgresql.password", "s3.access_key", "s3.secret_key", "s3.session_token"]


def test_the_documentation_names_every_option_with_its_type_and_default():
    documented = yaml.safe_load(mlflow_store_check.DOCUMENTATION)["options"]
    assert sorted(documented) == sorted(ARGUMENT_SPEC)
    for group, spec in ARGUMENT_SPEC.items():
        options = documented[group]["suboptions"]
        assert sorted(options) == sorted(spec["options"]), group
        for name, option in spec["options"].items():
            assert options[name]["type"] == option["type"], (group, name)
            assert options[name].get("default") == option.get("default"), (group, name)
            assert options[name].get("required", False) == option.get("required", False), (group, name)
            assert options[name].get("choices") == option.get("choices"), (group, name)
