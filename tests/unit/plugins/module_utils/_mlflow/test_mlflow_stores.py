"""_mlflow.stores: the MLflow host's backend, basic-auth and artifact stores from the role's
variables. Properties, not copies of the code: whatever a PostgreSQL password holds and however it
is given (mlflow_host_db_password, in the URI's user part, percent-encoded or not, in its query),
no URI nor environment value holds it and libpq reads it back from the password file (its escaping
rules as fe-connect.c applies them: tests/utils/libpq.py); the URIs still name the same server,
user and database; TLS is verified or not spoken; one database for both stores is refused however
it is spelled; S3 settings go to the environment; every refusal names the variable and shows
neither the password nor the URI."""

import posixpath
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.stores import (
    SSLMODES,
    StoreError,
    pgpass_line,
    postgresql_from_uri,
    postgresql_uri,
    stores,
)
from utils.libpq import pgpass_lookup

ARTIFACTS = "/var/lib/mlflow/artifacts"
PASSWORD = "Db-S3cret:with\\both"
SETTINGS = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# A password file line cannot hold a line break; NUL ends a C string.
PASSWORD_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00"), max_size=24)
# Names of users and databases as PostgreSQL takes them quoted: anything printable.
NAME_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=16)


def passwords():
    """Passwords that hold ':' and '\\' (what a password file must escape), with text around them
    that makes each unique enough to look for in a URI."""
    return st.builds(lambda a, b, c: "Pw7" + a + ":" + b + "\\" + c + "7wP", PASSWORD_TEXT, PASSWORD_TEXT, PASSWORD_TEXT)


def db_host(**given):
    values = dict(db_host="db1.example.net", db_port=5432, db_user="mlflow", db_password=PASSWORD, db_name="mlflow",
                  db_auth_name="mlflow_auth", artifacts_destination=ARTIFACTS)
    values.update(given)
    return values


def by_uri(uri, **given):
    values = dict(backend_store_uri=uri, artifacts_destination=ARTIFACTS)
    values.update(given)
    return values


def secret_free(result, *secrets):
    """The values that reach unit files, process lists and logs: no secret in any."""
    shown = [result["tracking_uri"], result["auth_uri"]] + [
        value for name, value in result["environment"].items() if not name.startswith("AWS_SECRET")]
    for secret in secrets:
        for form in (secret, quote(secret, safe=""), quote(secret)):
            assert not any(form in value for value in shown), "%r shows in %r" % (secret, shown)


def read_back(result):
    """{database name: the password libpq takes from the result's password file}."""
    return dict((db["name"], pgpass_lookup(result["pgpass"], db["host"], db["port"], db["name"], db["user"]))
                for db in result["postgresql"]["databases"])


def parsed(uri):
    parts = urlsplit(uri)
    return dict(scheme=parts.scheme, host=parts.hostname, port=parts.port, user=unquote(parts.username or ""),
                password=parts.password, database=unquote(parts.path.lstrip("/")), query=parse_qs(parts.query))


# -- the password file -----------------------------------------------------------------------

@SETTINGS
@given(host=st.sampled_from(["db1", "10.0.0.5", "::1", "db:odd"]), port=st.integers(1, 65535), database=NAME_TEXT,
       user=NAME_TEXT, password=PASSWORD_TEXT)
def test_a_pgpass_line_reads_back_through_libpqs_escaping(host, port, database, user, password):
    line = pgpass_line(host, port, database, user, password)
    assert "\n" not in line
    assert pgpass_lookup(line + "\n", host, port, database, user) == password


def test_a_pgpass_line_does_not_match_another_database_or_user():
    line = pgpass_line("db1", 5432, "mlflow", "mlflow", PASSWORD) + "\n"
    assert pgpass_lookup(line, "db1", 5432, "mlflow_auth", "mlflow") is None
    assert pgpass_lookup(line, "db1", 5432, "mlflow", "other") is None


@SETTINGS
@given(password=passwords())
def test_mlflow_host_db_password_goes_to_the_password_file_only(password):
    result = stores(db_host(db_password=password))
    secret_free(result, password)
    assert read_back(result) == {"mlflow": password, "mlflow_auth": password}
    assert result["postgresql"]["passwords"] == {"mlflow": password}


@SETTINGS
@given(password=passwords(), user=NAME_TEXT, database=NAME_TEXT)
def test_a_password_in_the_uri_leaves_it_and_reads_back_from_the_password_file(password, user, database):
    uri = "postgresql://%s:%s@db1.example.net:5433/%s?connect_timeout=10" % (
        quote(user, safe=""), quote(password, safe=""), quote(database, safe=""))
    result = stores(by_uri(uri))
    secret_free(result, password)
    tracking, auth = parsed(result["tracking_uri"]), parsed(result["auth_uri"])
    assert tracking["password"] is None and auth["password"] is None
    assert (tracking["host"], tracking["port"], tracking["user"], tracking["database"]) == (
        "db1.example.net", 5433, user, database)
    assert tracking["query"]["connect_timeout"] == ["10"]
    # No auth URI: the tracking database's name with _auth, on the same server, as the same user.
    expected = ("db1.example.net", 5433, user, database + "_auth")
    assert (auth["host"], auth["port"], auth["user"], auth["database"]) == expected
    assert read_back(result) == {database: password, database + "_auth": password}


@pytest.mark.parametrize("uri", [
    "postgresql://mlflow:Raw:pass@word@db1.example.net/mlflow",  # not percent-encoded: the last @ ends it
    "postgresql+psycopg2://mlflow:Raw%3Apass%40word@db1.example.net/mlflow",
    "postgres://mlflow:Raw%3Apass%40word@db1.example.net/mlflow",
    "postgresql://mlflow@db1.example.net/mlflow?password=Raw%3Apass%40word&sslmode=disable",
])
def test_every_form_of_a_password_in_the_uri_is_moved_to_the_password_file(uri):
    result = stores(by_uri(uri))
    secret_free(result, "Raw:pass@word")
    assert "password" not in result["tracking_uri"] and "password" not in result["auth_uri"]
    assert read_back(result) == {"mlflow": "Raw:pass@word", "mlflow_auth": "Raw:pass@word"}
    assert result["tracking_uri"].startswith("postgresql+psycopg2://mlflow@db1.example.net:5432/mlflow?")


def test_mlflow_host_db_password_serves_a_uri_without_one():
    result = stores(by_uri("postgresql://mlflow@db1.example.net/mlflow", db_password=PASSWORD))
    assert read_back(result) == {"mlflow": PASSWORD, "mlflow_auth": PASSWORD}
    # The URI's own password comes first.
    result = stores(by_uri("postgresql://mlflow:Uri-Pw@db1.example.net/mlflow", db_password=PASSWORD))
    assert read_back(result) == {"mlflow": "Uri-Pw", "mlflow_auth": "Uri-Pw"}


def test_an_auth_store_of_another_user_keeps_its_own_password():
    result = stores(by_uri("postgresql://mlflow:Track-Pw@db1.example.net/mlflow",
                           auth_store_uri="postgresql://auth:Auth-Pw@db2.example.net:6432/auth"))
    assert [(db["role"], db["host"], db["port"], db["name"], db["user"]) for db in result["postgresql"]["databases"]] \
        == [("tracking", "db1.example.net", 5432, "mlflow", "mlflow"), ("auth", "db2.example.net", 6432, "auth", "auth")]
    assert read_back(result) == {"mlflow": "Track-Pw", "auth": "Auth-Pw"}
    assert result["postgresql"]["passwords"] == {"mlflow": "Track-Pw", "auth": "Auth-Pw"}
    secret_free(result, "Track-Pw", "Auth-Pw")


def test_an_ipv6_server_is_bracketed_in_the_uri_and_bare_in_the_password_file():
    result = stores(by_uri("postgresql://mlflow:%s@[2001:db8::5]:5432/mlflow" % quote(PASSWORD, safe="")))
    assert parsed(result["tracking_uri"])["host"] == "2001:db8::5"
    assert "@[2001:db8::5]:5432/" in result["tracking_uri"]
    assert read_back(result) == {"mlflow": PASSWORD, "mlflow_auth": PASSWORD}


@SETTINGS
@given(user=NAME_TEXT, database=NAME_TEXT, host=st.sampled_from(["db1", "10.0.0.5", "2001:db8::5"]),
       port=st.integers(1, 65535), sslmode=st.sampled_from(SSLMODES))
def test_the_uri_made_reads_back_as_what_it_was_made_of(user, database, host, port, sslmode):
    uri = postgresql_uri(host, port, user, database, {"sslrootcert": "/etc/ssl/ca.pem", "sslmode": sslmode})
    found = postgresql_from_uri(uri, "x")
    assert (found["host"], found["port"], found["user"], found["database"], found["password"]) == (
        host, port, user, database, "")
    assert found["query"] == {"sslmode": sslmode, "sslrootcert": "/etc/ssl/ca.pem"}
    # The same on every run: the query is sorted.
    assert uri == postgresql_uri(host, port, user, database, {"sslmode": sslmode, "sslrootcert": "/etc/ssl/ca.pem"})


def test_the_password_file_and_the_servers_environment():
    result = stores(db_host(config_dir="/srv/mlflow/etc/"))
    assert result["backend"] == "postgresql"
    assert result["pgpass_path"] == "/srv/mlflow/etc/pgpass"
    assert result["environment"]["PGPASSFILE"] == result["pgpass_path"]
    assert result["environment"]["MLFLOW_BACKEND_STORE_URI"] == result["tracking_uri"]
    assert result["pgpass"].endswith("\n") and result["pgpass"].count("\n") == 2
    assert result["sqlite_files"] == []
    assert stores(db_host())["pgpass_path"] == "/etc/mlflow/pgpass"


@pytest.mark.parametrize("password", ["Pw-Line\nbreak-7", "Pw-Carriage\rreturn-7"])
def test_a_password_a_password_file_cannot_hold_is_refused_without_showing_it(password):
    with pytest.raises(StoreError) as refused:
        stores(db_host(db_password=password))
    message = str(refused.value)
    assert "mlflow_host_db_password" in message
    assert not any(part in message for part in password.split())


# -- TLS ------------------------------------------------------------------------------------

def test_no_ca_means_plain_and_a_ca_means_verify_full():
    plain = stores(db_host())
    assert plain["postgresql"]["sslmode"] == "disable" and plain["postgresql"]["ca_path"] == ""
    assert parsed(plain["tracking_uri"])["query"] == {"sslmode": ["disable"]}
    verified = stores(db_host(db_ca_path="/etc/ssl/db-ca.pem"))
    assert (verified["postgresql"]["sslmode"], verified["postgresql"]["ca_path"]) == ("verify-full", "/etc/ssl/db-ca.pem")
    for uri in (verified["tracking_uri"], verified["auth_uri"]):
        assert parsed(uri)["query"] == {"sslmode": ["verify-full"], "sslrootcert": ["/etc/ssl/db-ca.pem"]}


def test_the_uris_sslmode_and_ca_are_kept_and_given_to_both_stores():
    result = stores(by_uri("postgresql://mlflow:pw@db1/mlflow?sslmode=verify-ca&sslrootcert=/etc/ssl/ca.pem",
                           auth_store_uri="postgresql://mlflow@db1/mlflow_auth"))
    assert (result["postgresql"]["sslmode"], result["postgresql"]["ca_path"]) == ("verify-ca", "/etc/ssl/ca.pem")
    assert parsed(result["auth_uri"])["query"] == {"sslmode": ["verify-ca"], "sslrootcert": ["/etc/ssl/ca.pem"]}


@pytest.mark.parametrize("sslmode", SSLMODES)
def test_every_sslmode_is_taken_and_the_verifying_ones_need_a_ca(sslmode):
    assert stores(db_host(db_sslmode=sslmode, db_ca_path="/ca.pem"))["postgresql"]["sslmode"] == sslmode
    if sslmode.startswith("verify-"):
        with pytest.raises(StoreError, match="mlflow_host_db_sslmode %s needs mlflow_host_db_ca_path" % sslmode):
            stores(db_host(db_sslmode=sslmode))
    else:
        assert stores(db_host(db_sslmode=sslmode))["postgresql"]["ca_path"] == ""


def test_an_unknown_sslmode_is_refused():
    with pytest.raises(StoreError, match="mlflow_host_db_sslmode must be one of disable, prefer, require"):
        stores(db_host(db_sslmode="allow-anything"))


# -- separate databases ---------------------------------------------------------------------

@pytest.mark.parametrize("given", [
    db_host(db_auth_name="mlflow"),
    by_uri("postgresql://mlflow:%s@db1/mlflow" % quote(PASSWORD, safe=""),
           auth_store_uri="postgresql://mlflow:%s@db1:5432/mlflow" % quote(PASSWORD, safe="")),
    # Spelled otherwise: another scheme, the host in capitals, another user.
    by_uri("postgresql://mlflow:%s@db1/mlflow" % quote(PASSWORD, safe=""),
           auth_store_uri="postgres://auth:Other-Pw@DB1/mlflow"),
    by_uri("postgresql://mlflow:%s@db1/mlflow_auth" % quote(PASSWORD, safe=""),
           auth_store_uri="postgresql://mlflow@db1/mlflow_auth?sslmode=require"),
], ids=["db-vars", "same-uri", "spelled-otherwise", "named-auth"])
def test_one_database_for_both_stores_is_refused(given):
    with pytest.raises(StoreError, match="separate databases") as refused:
        stores(given)
    message = str(refused.value)
    assert PASSWORD not in message and quote(PASSWORD, safe="") not in message and "Other-Pw" not in message
    assert "postgresql://" not in message and "postgres://" not in message


def test_the_same_name_on_another_server_or_port_is_another_database():
    uri = "postgresql://mlflow:pw@db1/mlflow"
    assert stores(by_uri(uri, auth_store_uri="postgresql://mlflow:pw@db2/mlflow"))["backend"] == "postgresql"
    assert stores(by_uri(uri, auth_store_uri="postgresql://mlflow:pw@db1:5433/mlflow"))["backend"] == "postgresql"


@pytest.mark.parametrize("auth", [
    "sqlite:////var/lib/mlflow/mlflow.db",
    "sqlite:////var/lib/mlflow//mlflow.db",
    "sqlite:////var/lib/mlflow/./mlflow.db",
])
def test_one_sqlite_file_for_both_stores_is_refused_however_spelled(auth):
    with pytest.raises(StoreError, match="name the same file"):
        stores(by_uri("sqlite:////var/lib/mlflow/mlflow.db", auth_store_uri=auth))


def test_sqlite_stores_and_the_default_auth_file():
    result = stores(by_uri("sqlite:////var/lib/mlflow/mlflow.db", data_dir="/srv/mlflow/"))
    assert (result["backend"], result["postgresql"], result["pgpass"], result["pgpass_path"]) == ("sqlite", None, "", "")
    assert result["sqlite_files"] == ["/var/lib/mlflow/mlflow.db", "/srv/mlflow/basic_auth.db"]
    assert result["auth_uri"] == "sqlite:////srv/mlflow/basic_auth.db"
    assert all(posixpath.isabs(path) for path in result["sqlite_files"])
    assert "PGPASSFILE" not in result["environment"]
    assert result["environment"]["MLFLOW_BACKEND_STORE_URI"] == "sqlite:////var/lib/mlflow/mlflow.db"


def test_an_auth_store_of_another_kind_is_refused():
    with pytest.raises(StoreError, match="mlflow_host_auth_store_uri must be sqlite:/// like the backend store "
                                         r"\(got postgresql\)"):
        stores(by_uri("sqlite:////var/lib/mlflow/mlflow.db", auth_store_uri="postgresql://mlflow:%s@db1/auth"
                      % quote(PASSWORD, safe="")))


# -- refusals name the variable, never the URI or the password -------------------------------

SECRET_URI_PASSWORD = "Uri-S3cret-Pw"


@pytest.mark.parametrize("given, variable", [
    (by_uri("postgresql://mlflow:%s@db1:port/mlflow" % SECRET_URI_PASSWORD), "mlflow_host_backend_store_uri"),
    (by_uri("postgresql://mlflow:%s@db1:99999/mlflow" % SECRET_URI_PASSWORD), "mlflow_host_backend_store_uri"),
    (by_uri("postgresql://mlflow:%s@[2001:db8::5/mlflow" % SECRET_URI_PASSWORD), "mlflow_host_backend_store_uri"),
    (by_uri("postgresql://mlflow:%s@db1/" % SECRET_URI_PASSWORD), "mlflow_host_backend_store_uri"),
    (by_uri("postgresql://:%s@db1/mlflow" % SECRET_URI_PASSWORD), "mlflow_host_backend_store_uri"),
    (by_uri("postgresql://mlflow:%s@db1/mlflow" % SECRET_URI_PASSWORD,
            auth_store_uri="mysql://mlflow:%s@db1/auth" % SECRET_URI_PASSWORD), "mlflow_host_auth_store_uri"),
    (by_uri("mysql://mlflow:%s@db1/mlflow" % SECRET_URI_PASSWORD), "mlflow_host_backend_store_uri"),
    (by_uri("postgresql://mlflow:%s@db1/mlflow?sslmode=bogus" % SECRET_URI_PASSWORD), "mlflow_host_db_sslmode"),
    (by_uri("postgresql://mlflow:%s@db1/mlflow" % SECRET_URI_PASSWORD, db_sslmode="verify-full"),
     "mlflow_host_db_ca_path"),
    (by_uri("postgresql://mlflow@db1/mlflow"), "mlflow_host_db_password"),
    (db_host(db_password=""), "mlflow_host_db_password"),
    (db_host(db_user=""), "mlflow_host_db_user"),
    (db_host(db_auth_name=None), "mlflow_host_db_auth_name"),
    (by_uri(""), "mlflow_host_backend_store_uri"),
], ids=["port-text", "port-range", "bracket", "no-database", "no-user", "auth-scheme", "scheme", "sslmode",
        "verify-no-ca", "no-password-uri", "no-password", "no-user-vars", "no-auth-name", "empty"])
def test_a_refusal_names_the_variable_and_shows_no_password_nor_uri(given, variable):
    with pytest.raises(StoreError) as refused:
        stores(given)
    message = str(refused.value)
    assert variable in message
    assert SECRET_URI_PASSWORD not in message and PASSWORD not in message
    for uri in (given.get("backend_store_uri"), given.get("auth_store_uri")):
        assert not uri or uri not in message


# -- artifacts ------------------------------------------------------------------------------

def test_a_local_directory_has_no_s3_settings():
    result = stores(db_host(s3_access_key="AKIA-unused"))
    assert (result["artifacts"], result["s3"]) == ("local", None)
    assert not [name for name in result["environment"] if name.startswith(("AWS_", "MLFLOW_S3", "MLFLOW_BOTO"))]


@pytest.mark.parametrize("destination", ["artifacts", "./artifacts", "", "file:///var/lib/mlflow", "gs://bucket"])
def test_an_artifact_destination_neither_absolute_nor_s3_is_refused(destination):
    with pytest.raises(StoreError, match="mlflow_host_artifacts_destination must be an absolute directory"):
        stores(db_host(artifacts_destination=destination))


@pytest.mark.parametrize("destination", ["s3://", "s3:///experiments", "s3:////"])
def test_an_s3_destination_without_a_bucket_is_refused(destination):
    with pytest.raises(StoreError, match="mlflow_host_artifacts_destination s3:// names no bucket"):
        stores(db_host(artifacts_destination=destination))


def test_s3_settings_go_to_the_environment_and_never_to_a_uri():
    result = stores(db_host(artifacts_destination="s3://mlflow-artifacts/team/experiments/",
                            s3_endpoint_url="https://minio.example.net:9000", s3_region="eu-west-3",
                            s3_access_key="AKIAEXAMPLEKEY", s3_secret_key="S3-Secret-Key-Value",
                            s3_ca_bundle="/etc/ssl/minio-ca.pem", s3_path_style=True, s3_validate_certs=False))
    s3, environment = result["s3"], result["environment"]
    assert result["artifacts"] == "s3"
    assert (s3["bucket"], s3["prefix"], s3["region"], s3["path_style"], s3["validate_certs"]) == (
        "mlflow-artifacts", "team/experiments", "eu-west-3", True, False)
    assert environment["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLEKEY"
    assert environment["AWS_SECRET_ACCESS_KEY"] == "S3-Secret-Key-Value"
    assert environment["AWS_DEFAULT_REGION"] == "eu-west-3"
    assert environment["MLFLOW_S3_ENDPOINT_URL"] == "https://minio.example.net:9000"
    assert environment["AWS_CA_BUNDLE"] == "/etc/ssl/minio-ca.pem"
    assert environment["MLFLOW_S3_IGNORE_TLS"] == "true"
    assert environment["MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE"] == "path"
    secret_free(result, "S3-Secret-Key-Value", PASSWORD)
    assert "AKIAEXAMPLEKEY" not in result["tracking_uri"] + result["auth_uri"]


def test_s3_without_keys_uses_the_hosts_credentials_and_boto3s_defaults():
    result = stores(db_host(artifacts_destination="s3://mlflow-artifacts"))
    assert (result["s3"]["bucket"], result["s3"]["prefix"], result["s3"]["path_style"]) == ("mlflow-artifacts", "", None)
    assert result["environment"]["AWS_DEFAULT_REGION"] == "us-east-1"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "MLFLOW_S3_ENDPOINT_URL", "MLFLOW_S3_IGNORE_TLS",
                 "MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE", "AWS_CA_BUNDLE"):
        assert name not in result["environment"]


@pytest.mark.parametrize("access_key, secret_key", [("AKIAEXAMPLEKEY", ""), ("", "S3-Secret-Key-Value")])
def test_half_a_key_pair_is_refused_without_showing_it(access_key, secret_key):
    with pytest.raises(StoreError, match="mlflow_host_s3_access_key and mlflow_host_s3_secret_key go together") \
            as refused:
        stores(db_host(artifacts_destination="s3://bucket", s3_access_key=access_key, s3_secret_key=secret_key))
    assert "S3-Secret-Key-Value" not in str(refused.value) and "AKIAEXAMPLEKEY" not in str(refused.value)


def test_an_endpoint_without_a_scheme_is_refused():
    with pytest.raises(StoreError, match="mlflow_host_s3_endpoint_url must be an http"):
        stores(db_host(artifacts_destination="s3://bucket", s3_endpoint_url="minio.example.net:9000"))
