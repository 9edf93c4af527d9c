"""The PostgreSQL login of mlflow_store_check: SCRAM-SHA-256 against RFC 7677's example, SASLprep
against RFC 4013's, the MD5 answer, the messages a client sends, ErrorResponse read and each
SQLSTATE's message, and, against a scripted server on loopback, the answers a real PostgreSQL
does not give (no TLS, another protocol, silence, a wrong SCRAM signature). The real server's
answers are in tests/integration/plugins/modules/test_mlflow_store_check.py."""

import base64
import hashlib
import hmac
import socket
import struct
import threading
import time

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import pg_probe
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.pg_probe import (
    DATABASE,
    SERVER,
    PgProblem,
    ScramClient,
    error_fields,
    error_problem,
    login,
    md5_password,
    saslprep,
    startup_message,
    where,
)

# RFC 7677, section 3.
RFC_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
RFC_CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
RFC_SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
# An ErrorResponse of PostgreSQL 15 for a wrong password, as sent (its body).
WRONG_PASSWORD = (b'SFATAL\x00VFATAL\x00C28P01\x00Mpassword authentication failed for user "mlflow"\x00'
                  b'Fauth.c\x00L326\x00Rauth_failed\x00\x00')


def test_scram_sha_256_follows_rfc_7677s_example():
    client = ScramClient("pencil", nonce=RFC_NONCE, user="user")
    assert client.first() == "n,,n=user,r=" + RFC_NONCE
    assert client.final(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    assert client.verify(RFC_SERVER_FINAL) is True


def test_a_server_signature_made_without_the_password_is_refused():
    client = ScramClient("pencil", nonce=RFC_NONCE, user="user")
    client.final(RFC_SERVER_FIRST)
    forged = "v=" + base64.b64encode(b"\0" * 32).decode()
    assert client.verify(forged) is False
    assert client.verify("x=nothing") is False
    with pytest.raises(ValueError, match="invalid-proof"):
        client.verify("e=invalid-proof")


def test_postgresql_gets_an_empty_scram_user_name_as_from_libpq():
    assert ScramClient("pencil", nonce=RFC_NONCE).first() == "n,,n=,r=" + RFC_NONCE


@pytest.mark.parametrize("server_first, why", [
    ("r=someone-elses-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "does not extend ours"),
    ("r=%s,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096" % RFC_NONCE, "does not extend ours"),  # not extended at all
    ("r=%sxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0" % RFC_NONCE, "iteration count of 0"),
    ("r=%sxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999" % RFC_NONCE, "iteration count of 99999999"),
    ("r=%sxyz,i=4096" % RFC_NONCE, "without nonce, salt"),
])
def test_a_server_first_message_out_of_the_rules_is_refused(server_first, why):
    with pytest.raises(ValueError, match=why):
        ScramClient("pencil", nonce=RFC_NONCE).final(server_first)


def test_saslprep_follows_rfc_4013s_examples_and_falls_back_as_postgresql_does():
    assert saslprep("I\u00adX") == b"IX"  # soft hyphen mapped to nothing
    assert saslprep("user") == b"user"
    assert saslprep("USER") == b"USER"
    assert saslprep("\u00aa") == b"a"  # NFKC
    assert saslprep("\u2168") == b"IX"
    assert saslprep("a\u00a0b") == b"a b"  # a non-ASCII space is a space
    # Prohibited (a control character) or mixed directions: the password as it is.
    assert saslprep("a\u0007") == b"a\x07"
    assert saslprep("\u0627\u0031") == "\u0627\u0031".encode()


def test_the_md5_answer_is_md5_of_the_stored_hash_and_the_salt():
    # "md5" + md5("postgres" + "postgres") is what PostgreSQL stores for that user and password.
    stored = "3175bce1d3201d16594cebf9d7eb3f9d"
    salt = b"\x01\x02\x03\x04"
    assert md5_password("postgres", "postgres", salt) == "md5" + hashlib.md5(stored.encode() + salt).hexdigest()


def test_the_startup_message_asks_protocol_3_for_the_user_and_database():
    message = startup_message("mlflow", "mlflow_auth")
    assert struct.unpack("!ii", message[:8]) == (len(message), 196608)
    assert message[8:].split(b"\0") == [b"user", b"mlflow", b"database", b"mlflow_auth", b"application_name",
                                        b"sparkflows.mlops mlflow_store_check", b"", b""]


def test_an_error_response_is_read_field_by_field():
    fields = error_fields(WRONG_PASSWORD)
    assert (fields["S"], fields["C"], fields["M"]) == ("FATAL", "28P01", 'password authentication failed for user "mlflow"')


@pytest.mark.parametrize("code, text, scope, message", [
    ("28P01", 'password authentication failed for user "mlflow"', SERVER,
     "PostgreSQL at db:5432 refused user mlflow: password authentication failed (a wrong password, or no such user)"),
    ("3D000", 'database "mlflow_auth" does not exist', DATABASE,
     "database mlflow_auth does not exist on PostgreSQL at db:5432"),
    ("28000", 'no pg_hba.conf entry for host "10.0.0.5", user "mlflow", database "mlflow_auth", no encryption',
     DATABASE, 'PostgreSQL at db:5432 refused user mlflow for database mlflow_auth: no pg_hba.conf entry for host '
     '"10.0.0.5", user "mlflow", database "mlflow_auth", no encryption (pg_hba.conf)'),
    ("42501", 'permission denied for database "mlflow_auth"', DATABASE,
     'user mlflow may not connect to database mlflow_auth on PostgreSQL at db:5432: permission denied for database '
     '"mlflow_auth"'),
    ("53300", "sorry, too many clients already", SERVER,
     "PostgreSQL at db:5432 takes no more connections for user mlflow: sorry, too many clients already"),
    ("57P03", "the database system is starting up", SERVER,
     "PostgreSQL at db:5432 cannot take connections now: the database system is starting up"),
    ("XX000", "something else", DATABASE,
     "PostgreSQL at db:5432 refused user mlflow on database mlflow_auth: something else (SQLSTATE XX000)"),
])
def test_each_sqlstate_has_its_message_and_scope(code, text, scope, message):
    problem = error_problem({"S": "FATAL", "C": code, "M": text}, "db:5432", "mlflow", "mlflow_auth")
    assert (str(problem), problem.scope, problem.sqlstate) == (message, scope, code)


def test_servers_are_named_as_in_their_addresses():
    assert where("db.example.net", 5432) == "db.example.net:5432"
    assert where("fd00::5", 5433) == "[fd00::5]:5433"
    assert where("/var/run/postgresql", 5432) == "socket /var/run/postgresql/.s.PGSQL.5432"


def test_an_unknown_sslmode_is_refused():
    with pytest.raises(PgProblem, match="sslmode must be one of"):
        login("127.0.0.1", 5432, "mlflow", "x", "mlflow", sslmode="allow")


def test_a_ca_path_that_cannot_be_read_is_named(tmp_path):
    with pytest.raises(PgProblem, match="cannot read ca_path %s" % (tmp_path / "none.pem")):
        pg_probe.tls_context("verify-full", str(tmp_path / "none.pem"))


# -- against a scripted server -----------------------------------------------------------------

def backend(kind, payload=b""):
    return kind + struct.pack("!i", len(payload) + 4) + payload


def auth(code, data=b""):
    return backend(b"R", struct.pack("!i", code) + data)


READY = (auth(0) + backend(b"S", b"server_version\x0015.18 (Debian 15.18-0+deb12u1)\x00")
         + backend(b"K", b"\0\0\0\1\0\0\0\2") + backend(b"Z", b"I"))


def receive(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_startup(conn):
    length = struct.unpack("!i", receive(conn, 4))[0]
    return receive(conn, length - 4)


def read_message(conn):
    kind = receive(conn, 1)
    length = struct.unpack("!i", receive(conn, 4))[0]
    return kind, receive(conn, length - 4)


class ScriptedServer(object):
    """Loopback connections, each answered by the next script (a function of the socket)."""

    def __init__(self, *scripts):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(len(scripts))
        self.port = self.listener.getsockname()[1]
        self.errors = []
        self.thread = threading.Thread(target=self._serve, args=(scripts,), daemon=True)
        self.thread.start()

    def _serve(self, scripts):
        for script in scripts:
            conn, _address = self.listener.accept()
            try:
                script(conn)
            except Exception as error:  # pylint: disable=broad-except
                self.errors.append(error)
            finally:
                conn.close()

    def close(self):
        self.thread.join(10)
        self.listener.close()


@pytest.fixture
def scripted():
    servers = []

    def start(*scripts):
        server = ScriptedServer(*scripts)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def no_tls_then_trust(conn):
    assert read_startup(conn)[:4] == struct.pack("!i", 80877103)
    conn.sendall(b"N")
    assert b"user\0mlflow\0" in read_startup(conn)
    conn.sendall(READY)
    assert read_message(conn) == (b"X", b"")


def test_a_server_without_tls_fails_verify_full_and_passes_prefer(scripted):
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(b"N")), no_tls_then_trust)
    with pytest.raises(PgProblem) as refused:
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="verify-full", timeout=5)
    assert str(refused.value) == ("PostgreSQL at 127.0.0.1:%d does not speak TLS, and sslmode=verify-full needs it "
                                  "(turn ssl on in the server, or set sslmode to disable or prefer)" % server.port)
    assert login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="prefer", timeout=5) == dict(
        server_version="15.18 (Debian 15.18-0+deb12u1)", tls=None, auth="trust")


def test_prefer_tries_again_without_tls_when_the_handshake_fails_once(scripted):
    def tls_yes_then_close(conn):
        read_startup(conn)
        conn.sendall(b"S")
        conn.recv(4096)  # the ClientHello, left unanswered

    def plain(conn):
        assert b"database\0mlflow\0" in read_startup(conn)
        conn.sendall(READY)

    server = scripted(tls_yes_then_close, plain)
    assert login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="prefer", timeout=5)["tls"] is None
    server = scripted(tls_yes_then_close)
    with pytest.raises(PgProblem, match="no TLS handshake with PostgreSQL at 127.0.0.1:%d" % server.port):
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="require", timeout=5)


def test_another_protocol_is_named_so(scripted):
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")))
    with pytest.raises(PgProblem, match=r"127.0.0.1:%d does not speak the PostgreSQL protocol \(it answered b'H' "
                                        r"to SSLRequest\)" % server.port):
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="require", timeout=5)
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")))
    with pytest.raises(PgProblem, match="answered SSLRequest with more than one byte"):
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="require", timeout=5)
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")))
    with pytest.raises(PgProblem, match="does not speak the PostgreSQL protocol"):
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="disable", timeout=5)


def test_a_silent_server_is_given_the_timeout_and_no_more(scripted):
    stop = threading.Event()
    server = scripted(lambda conn: stop.wait(10))
    started = time.monotonic()
    with pytest.raises(PgProblem, match=r"did not finish the login within 1 s \(asking for TLS\)"):
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="verify-full", timeout=1)
    assert time.monotonic() - started < 3
    stop.set()


def scram_server(password, answer_signature=True, server_error=None):
    """The server side of SCRAM-SHA-256 for password (its proof of the client is not checked:
    this server tests what the client does with the server's signature)."""
    def script(conn):
        read_startup(conn)
        conn.sendall(auth(10, b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"))
        kind, body = read_message(conn)
        mechanism, _sep, rest = body.partition(b"\0")
        assert (kind, mechanism) == (b"p", b"SCRAM-SHA-256")
        client_first = rest[4:].decode()
        assert client_first.startswith("n,,n=,r=")
        nonce = client_first.split("r=", 1)[1] + "server-part"
        salt = b"0123456789abcdef"
        server_first = "r=%s,s=%s,i=4096" % (nonce, base64.b64encode(salt).decode())
        conn.sendall(auth(11, server_first.encode()))
        _kind, client_final = read_message(conn)
        without_proof = client_final.decode().rsplit(",p=", 1)[0]
        message = ",".join((client_first[3:], server_first, without_proof)).encode()
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 4096)
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        signature = hmac.new(server_key, message, hashlib.sha256).digest()
        if server_error:
            conn.sendall(auth(12, ("e=" + server_error).encode()))
            return
        conn.sendall(auth(12, b"v=" + base64.b64encode(signature if answer_signature else b"\0" * 32)))
        conn.sendall(READY)
        read_message(conn)
    return script


def test_scram_against_a_server_that_knows_the_password(scripted):
    server = scripted(scram_server("S3cret-pw"))
    assert login("127.0.0.1", server.port, "mlflow", "S3cret-pw", "mlflow", sslmode="disable", timeout=5)["auth"] \
        == "scram-sha-256"
    assert server.errors == []


def test_a_server_that_does_not_know_the_password_is_not_trusted(scripted):
    server = scripted(scram_server("another-password"))
    with pytest.raises(PgProblem, match="did not prove that it knows the password of user mlflow"):
        login("127.0.0.1", server.port, "mlflow", "S3cret-pw", "mlflow", sslmode="disable", timeout=5)
    server = scripted(scram_server("S3cret-pw", server_error="invalid-proof"))
    with pytest.raises(PgProblem, match="broke SCRAM-SHA-256 off: the server ended SCRAM with invalid-proof"):
        login("127.0.0.1", server.port, "mlflow", "S3cret-pw", "mlflow", sslmode="disable", timeout=5)


@pytest.mark.parametrize("request_, message", [
    (auth(7), "asks user mlflow for GSSAPI authentication, which this check does not speak"),
    (auth(10, b"SCRAM-SHA-256-PLUS\0\0"), "offers user mlflow only the SASL mechanisms SCRAM-SHA-256-PLUS"),
    (auth(4), "asks for authentication 4, which this check does not speak"),
    (backend(b"E", WRONG_PASSWORD), "refused user mlflow: password authentication failed"),
])
def test_authentication_requests_this_check_does_not_speak_are_named(scripted, request_, message):
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(request_), conn.recv(4096)))
    with pytest.raises(PgProblem, match=message):
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow", sslmode="disable", timeout=5)


def test_no_password_for_a_server_that_asks_one(scripted):
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(auth(5, b"salt")), conn.recv(4096)))
    with pytest.raises(PgProblem, match="asks user mlflow for a password, and none was given"):
        login("127.0.0.1", server.port, "mlflow", None, "mlflow", sslmode="disable", timeout=5)


def test_a_missing_database_after_the_login_is_a_problem_of_that_database(scripted):
    missing = backend(b"E", b'SFATAL\0C3D000\0Mdatabase "mlflow_auth" does not exist\0\0')
    server = scripted(lambda conn: (read_startup(conn), conn.sendall(auth(0) + missing)))
    with pytest.raises(PgProblem) as problem:
        login("127.0.0.1", server.port, "mlflow", "x", "mlflow_auth", sslmode="disable", timeout=5)
    assert (str(problem.value), problem.value.scope) == (
        "database mlflow_auth does not exist on PostgreSQL at 127.0.0.1:%d" % server.port, DATABASE)


def test_a_port_nothing_listens_on_does_not_answer():
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    with pytest.raises(PgProblem, match=r"^PostgreSQL at 127.0.0.1:%d does not answer \(connection refused\)$" % port):
        login("127.0.0.1", port, "mlflow", "x", "mlflow", timeout=2)
    with pytest.raises(PgProblem, match=r"^PostgreSQL at socket /nonexistent/.s.PGSQL.5432 does not answer"):
        login("/nonexistent", 5432, "mlflow", "x", "mlflow", timeout=2)
