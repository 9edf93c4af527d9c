"""Verify the mlflow_db role on the converged instance (testinfra), which is its own one MLflow
client (group mlflow): PostgreSQL listens on 5432; the MLflow user logs in over TCP with its
password, SCRAM-SHA-256 and TLS, to both databases, from the client's address and the loopback
(the certificate verified against the test CA of prepare.yml); a login without TLS, with a wrong
password, to another database or as another user is refused; pg_hba.conf holds nothing else; the
password is in no file, process or log (PostgreSQL keeps its SCRAM verifier only). Every client
runs on the instance (psql). The check-mode preview: molecule/resources/tests/; TLS off and on
again, and bad input: beside this."""

import pathlib

import pytest
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
GIVEN = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
PASSWORD = GIVEN["mlflow_db_password"]
DATABASES = ["mlflow", "mlflow_auth"]
CA = "/root/molecule-ca.crt"
# What a login answers: the database, the user, and whether the connection is encrypted.
WHO = "SELECT current_database() || ' ' || current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


def client_address(host):
    """The instance's address as its facts give it (the source of its default route)."""
    words = host.check_output("ip -4 -o route get 192.0.2.1").split()
    return words[words.index("src") + 1]


def login(instance, password=PASSWORD, **conninfo):
    """psql on the instance over TCP (conninfo: libpq's keywords) with the password, never
    prompted for; the finished command."""
    settings = dict({"port": "5432", "user": "mlflow", "dbname": "mlflow", "connect_timeout": "10"}, **conninfo)
    return instance.run("PGPASSWORD=%s psql -w -X -At -c %s %s", password, WHO,
                        " ".join("%s=%s" % item for item in sorted(settings.items())))


def as_postgres(host, sql):
    return host.check_output("runuser -u postgres -- psql -X -At -F '|' -c %s", sql)


def test_postgresql_listens_on_5432(host):
    assert host.socket("tcp://0.0.0.0:5432").is_listening
    version = host.check_output("pg_lsclusters --no-header").split()[0]
    service = host.service("postgresql@%s-main" % version)
    assert service.is_running
    assert host.service("postgresql").is_enabled


@pytest.mark.parametrize("database", DATABASES)
def test_the_mlflow_user_logs_in_over_tls_from_the_client(host, database):
    answer = login(host, host=client_address(host), dbname=database, sslmode="require")
    assert answer.rc == 0, answer.stderr
    assert answer.stdout.strip() == "%s mlflow true" % database


@pytest.mark.parametrize("database", DATABASES)
def test_the_mlflow_user_logs_in_over_the_loopback_with_the_certificate_verified(host, database):
    answer = login(host, host="localhost", dbname=database, sslmode="verify-full", sslrootcert=CA)
    assert answer.rc == 0, answer.stderr
    assert answer.stdout.strip() == "%s mlflow true" % database


# pg_hba.conf refuses all but the password; a wrong password fails SCRAM-SHA-256's exchange.
NO_ENTRY = 'no pg_hba.conf entry for host "{address}", user "{user}", database "{database}", {encryption}'


@pytest.mark.parametrize("conninfo, password, refusal", [
    ({"sslmode": "disable"}, PASSWORD, NO_ENTRY.format(address="{address}", user="mlflow", database="mlflow",
                                                       encryption="no encryption")),
    ({"sslmode": "require"}, PASSWORD + "x", 'password authentication failed for user "mlflow"'),
    ({"sslmode": "require", "dbname": "postgres"}, PASSWORD,
     NO_ENTRY.format(address="{address}", user="mlflow", database="postgres", encryption="SSL encryption")),
    ({"sslmode": "require", "dbname": "template1"}, PASSWORD,
     NO_ENTRY.format(address="{address}", user="mlflow", database="template1", encryption="SSL encryption")),
    ({"sslmode": "require", "user": "postgres"}, PASSWORD,
     NO_ENTRY.format(address="{address}", user="postgres", database="mlflow", encryption="SSL encryption")),
], ids=["without tls", "wrong password", "database postgres", "database template1", "user postgres"])
def test_anything_else_is_refused(host, conninfo, password, refusal):
    address = client_address(host)
    answer = login(host, password, host=address, **conninfo)
    assert answer.rc != 0, answer.stdout
    assert refusal.format(address=address) in answer.stderr, answer.stderr


def test_pg_hba_holds_the_mlflow_user_on_its_databases_with_scram_and_tls_only(host):
    rules = [line.split("|") for line in as_postgres(
        host, "SELECT type, array_to_string(database, ','), array_to_string(user_name, ','), "
              "coalesce(address, ''), coalesce(netmask, ''), auth_method, coalesce(error, '') "
              "FROM pg_hba_file_rules ORDER BY line_number").splitlines()]
    assert rules[0] == ["local", "all", "postgres", "", "", "peer", ""]
    remote = rules[1:]
    assert set((rule[0], rule[1], rule[2], rule[5], rule[6]) for rule in remote) == {
        ("hostssl", "mlflow,mlflow_auth", "mlflow", "scram-sha-256", "")}
    assert sorted((rule[3], rule[4]) for rule in remote) == sorted([
        ("127.0.0.1", "255.255.255.255"), ("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        (client_address(host), "255.255.255.255"), ("192.0.2.0", "255.255.255.0")])


def test_the_user_owns_both_databases_and_has_a_scram_verifier_only(host):
    role = as_postgres(host, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%', rolsuper, rolcreatedb, rolcreaterole, "
                             "rolreplication, rolbypassrls FROM pg_authid WHERE rolname = 'mlflow'")
    assert role == "t|f|f|f|f|f"
    owners = as_postgres(host, "SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding) FROM pg_database "
                               "WHERE datname IN ('mlflow', 'mlflow_auth') ORDER BY datname")
    assert owners.splitlines() == ["mlflow|mlflow|UTF8", "mlflow_auth|mlflow|UTF8"]
    settings = as_postgres(host, "SELECT name, setting FROM pg_settings WHERE name IN "
                                 "('password_encryption', 'ssl', 'ssl_min_protocol_version', 'listen_addresses') ORDER BY name")
    assert settings.splitlines() == ["listen_addresses|*", "password_encryption|scram-sha-256", "ssl|on",
                                     "ssl_min_protocol_version|TLSv1.2"]
    key = host.file(as_postgres(host, "SHOW ssl_key_file"))
    assert (key.user, key.group, key.mode) == ("postgres", "postgres", 0o600)


def test_the_password_is_in_no_file_process_or_log(host):
    # Every file of the instance but the kernel's (/proc, /sys, /dev), binary ones (the journal's) too.
    tops = [top for top in host.check_output("ls -d /*").split() if top not in ("/proc", "/sys", "/dev")]
    found = host.run("grep -rlsaF -D skip -e %s " + " ".join(["%s"] * len(tops)), PASSWORD, *tops)
    assert found.rc == 1 and found.stdout == "", "the password is in: %s" % found.stdout.split()
    processes = host.check_output("ps -eww -o args=")
    assert PASSWORD not in processes
    environments = host.check_output("cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' || true")
    assert PASSWORD not in environments
    assert PASSWORD not in host.check_output("journalctl --no-pager -o cat")
