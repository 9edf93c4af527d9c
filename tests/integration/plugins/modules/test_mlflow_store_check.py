"""mlflow_store_check through ansible-playbook against real services on loopback: a PostgreSQL
cluster of this machine's Debian packages (tests/utils/postgres.py: TLS with a CA of its own,
scram-sha-256, md5 and cleartext users, a Unix socket) and moto's S3 server with IAM
authentication on (tests/utils/moto.py: an unknown access key, a wrong secret key and a user
without the right are refused as S3 refuses them). Good stores pass, each bad input fails with
its one message, check mode runs the same checks, no secret shows at -vvv, and the EXAMPLES run."""

import pytest

from utils.examples import example_tasks
from utils.moto import BUCKET, OBJECT_KEY, running_s3
from utils.playbook import failed_messages, run_playbook
from utils.ports import free_port
from utils.postgres import SUPERUSER_PASSWORD, running_cluster

MODULE = "sparkflows.mlops.mlflow_store_check"
WRONG_PASSWORD = "Not-The-Db-Passw0rd"
WRONG_SECRET = "Not-The-Secret-Key-0123456789abcdefghijk"


@pytest.fixture(scope="module")
def cluster():
    with running_cluster() as started:
        yield started


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with running_s3(tmp_path_factory.mktemp("moto")) as started:
        yield started


def secrets_of(cluster, s3):
    values = list(cluster.passwords.values()) + [SUPERUSER_PASSWORD, WRONG_PASSWORD, WRONG_SECRET]
    for access_key, secret_key in s3.users.values():
        values += [access_key, secret_key]
    return values


def pg(cluster, user="mlflow", **options):
    """postgresql options of a user of the cluster, its password from the play's variables."""
    values = dict(host=cluster.host, port=cluster.port, user=user, password="{{ passwords.%s }}" % user,
                  databases=cluster.databases, sslmode="verify-full", ca_path=cluster.ca_path, timeout=5)
    values.update(options)
    return values


def bucket(s3, user="mlflow", **options):
    values = dict(bucket=BUCKET, endpoint_url=s3.url, access_key="{{ s3_keys.%s[0] }}" % user,
                  secret_key="{{ s3_keys.%s[1] }}" % user, timeout=5)
    values.update(options)
    return values


def task(name, **options):
    return {"name": name, MODULE: options, "ignore_errors": True}


def run(tmp_path, cluster, s3, tasks, **kwargs):
    """The tasks in one ansible-playbook run, the passwords and keys as the play's variables."""
    variables = dict(passwords=dict(cluster.passwords, wrong=WRONG_PASSWORD), s3_keys=dict(s3.users) if s3 else {})
    return run_playbook(tmp_path, tasks, extra_vars=variables, timeout=120, **kwargs)


def messages(run_):
    return [result.get("msg") if result.get("failed") else None for result in run_.results]


def test_postgresql_logins_pass_and_each_bad_input_is_one_message(tmp_path, cluster):
    where = "127.0.0.1:%d" % cluster.port
    closed = free_port()
    result = run(tmp_path, cluster, None, [
        task("scram-sha-256 over TLS, verify-full", postgresql=pg(cluster)),
        task("md5 without TLS", postgresql=pg(cluster, "legacy", sslmode="disable")),
        task("cleartext over prefer", postgresql=pg(cluster, "plain", sslmode="prefer")),
        task("Unix socket", postgresql=pg(cluster, host=cluster.socket_directory)),
        task("verify-ca by another name", postgresql=pg(cluster, host="localhost", sslmode="verify-ca")),
        task("wrong password", postgresql=pg(cluster, password="{{ passwords.wrong }}")),
        task("missing database", postgresql=pg(cluster, databases=["mlflow", "mlflow_missing"])),
        task("nothing listens", postgresql=pg(cluster, port=closed)),
        task("another CA", postgresql=pg(cluster, ca_path=cluster.other_ca_path)),
        task("a name the certificate does not hold", postgresql=pg(cluster, host="localhost")),
    ])
    assert len(result.results) == 10, result.stdout[-3000:]
    assert messages(result) == [
        None, None, None, None, None,
        "PostgreSQL at %s refused user mlflow: password authentication failed (a wrong password, or no such user)"
        % where,
        "database mlflow_missing does not exist on PostgreSQL at %s" % where,
        "PostgreSQL at 127.0.0.1:%d does not answer (connection refused)" % closed,
        "the TLS certificate of PostgreSQL at %s is not trusted by ca_path %s: unable to get local issuer "
        "certificate (sslmode=verify-full verifies it)" % (where, cluster.other_ca_path),
        "the TLS certificate of PostgreSQL at localhost:%d is not for localhost: Hostname mismatch, certificate is "
        "not valid for 'localhost' (sslmode=verify-full checks the name; connect by a name the certificate holds)"
        % cluster.port,
    ]
    scram, md5, cleartext, unix, verify_ca = (r["postgresql"] for r in result.results[:5])
    assert scram["databases"] == [dict(name="mlflow", ok=True, problem=None),
                                  dict(name="mlflow_auth", ok=True, problem=None)]
    assert (scram["auth"], scram["tls"]) == ("scram-sha-256", "TLSv1.3")
    assert scram["server_version"].split()[0].split(".")[0].isdigit()
    assert (md5["auth"], md5["tls"]) == ("md5", None)
    assert (cleartext["auth"], cleartext["tls"]) == ("password", "TLSv1.3")
    assert (unix["auth"], unix["tls"]) == ("scram-sha-256", None)
    assert verify_ca["tls"] == "TLSv1.3"
    assert all(r["changed"] is False for r in result.results)
    missing = result.results[6]["postgresql"]["databases"]
    assert [entry["ok"] for entry in missing] == [True, False]
    wrong = result.results[5]["postgresql"]["databases"]
    assert [entry["problem"] for entry in wrong] == [result.results[5]["msg"]] * 2


def test_s3_listing_passes_and_each_bad_input_is_one_message(tmp_path, cluster, s3):
    closed = free_port()
    outsider_key = s3.users["outsider"][0]
    result = run(tmp_path, cluster, s3, [
        task("the bucket, its prefix", s3=bucket(s3, prefix="experiments/")),
        task("missing bucket", s3=bucket(s3, bucket="no-such-bucket")),
        task("unknown access key", s3=bucket(s3, access_key="AKIA" + "0" * 16)),
        task("wrong secret key", s3=bucket(s3, secret_key=WRONG_SECRET)),
        task("a user without the right", s3=bucket(s3, "outsider")),
        task("nothing listens", s3=bucket(s3, endpoint_url="http://127.0.0.1:%d" % closed)),
        task("every problem at once", postgresql=pg(cluster, password="{{ passwords.wrong }}"),
             s3=bucket(s3, bucket="no-such-bucket")),
    ])
    assert len(result.results) == 7, result.stdout[-3000:]
    endpoint = s3.url
    assert messages(result) == [
        None,
        "S3 bucket no-such-bucket does not exist at %s" % endpoint,
        "S3 at %s refused the access key (InvalidAccessKeyId): it knows no such access key ID" % endpoint,
        "S3 at %s refused the request: the secret key does not match the access key (SignatureDoesNotMatch)"
        % endpoint,
        "AccessDenied to bucket %s at %s: the access key may not list it (s3:ListBucket)" % (BUCKET, endpoint),
        "S3 at http://127.0.0.1:%d does not answer (connection refused)" % closed,
        "PostgreSQL at 127.0.0.1:%d refused user mlflow: password authentication failed (a wrong password, or no "
        "such user); S3 bucket no-such-bucket does not exist at %s" % (cluster.port, endpoint),
    ]
    good = result.results[0]["s3"]
    assert good == dict(endpoint=endpoint, url="%s/%s" % (endpoint, BUCKET), bucket=BUCKET, prefix="experiments/",
                        region="us-east-1", path_style=True, prefix_has_objects=True, reachable=True, problem=None,
                        code=None)
    assert OBJECT_KEY.startswith("experiments/")
    assert [r["s3"]["code"] for r in result.results[1:5]] == [
        "NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"]
    assert len(result.results[6]["problems"]) == 2
    assert outsider_key not in result.stdout


def test_check_mode_runs_the_same_checks_and_changes_nothing(tmp_path, cluster, s3):
    result = run(tmp_path, cluster, s3, [
        task("good", postgresql=pg(cluster), s3=bucket(s3)),
        task("wrong password", postgresql=pg(cluster, password="{{ passwords.wrong }}")),
    ], args=["--check"])
    good, wrong = result.results
    assert (good["changed"], good.get("failed", False), good.get("skipped", False)) == (False, False, False)
    assert good["postgresql"]["databases"][1]["ok"] and good["s3"]["reachable"]
    assert wrong["failed"] and "password authentication failed" in wrong["msg"]


def test_no_password_or_key_shows_at_vvv(tmp_path, cluster, s3):
    result = run(tmp_path, cluster, s3, [
        task("good", postgresql=pg(cluster), s3=bucket(s3)),
        task("md5 and cleartext", postgresql=pg(cluster, "legacy", sslmode="disable")),
        task("cleartext", postgresql=pg(cluster, "plain", sslmode="prefer")),
        task("wrong password, wrong secret", postgresql=pg(cluster, password="{{ passwords.wrong }}"),
             s3=bucket(s3, secret_key=WRONG_SECRET)),
        task("a user without the right", s3=bucket(s3, "outsider", session_token="IQoJb3JpZ2luX2VjEFAKETOKEN")),
    ], args=["-vvv"], callback="default")
    output = result.stdout + result.stderr
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # the invocation was shown, masked
    assert len(failed_messages(result.stdout)) == 2, output[-3000:]
    leaked = [secret for secret in secrets_of(cluster, s3) + ["IQoJb3JpZ2luX2VjEFAKETOKEN"] if secret in output]
    assert leaked == []


def test_examples_run_as_written(tmp_path, cluster, s3):
    tasks = example_tasks(MODULE, {
        "db.example.net": cluster.host,
        "port: 5432": "port: %d" % cluster.port,
        "/etc/ssl/certs/db-example-ca.pem": cluster.ca_path,
        "region: us-east-1": "region: us-east-1\n      endpoint_url: %s" % s3.url,
        "/var/run/postgresql": cluster.socket_directory,
        "https://minio.example.net:9000": s3.url,
        "/etc/ssl/certs/minio-example-ca.pem": cluster.ca_path,
    })
    # The Unix socket example's port is PostgreSQL's default: the cluster's socket carries its own.
    tasks[1][MODULE]["postgresql"]["port"] = cluster.port
    result = run_playbook(tmp_path, tasks, extra_vars={
        "mlflow_db_password": cluster.passwords["mlflow"], "mlflow_s3_access_key": s3.users["mlflow"][0],
        "mlflow_s3_secret_key": s3.users["mlflow"][1]}, timeout=120)
    assert result.rc == 0, result.stdout[-3000:]
    assert len(result.results) == len(tasks) == 2
    first, second = result.results
    assert first["postgresql"]["tls"] == "TLSv1.3" and first["s3"]["prefix_has_objects"] is True
    assert second["postgresql"]["tls"] is None and second["s3"]["bucket"] == "mlflow"
