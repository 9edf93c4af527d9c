# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A PostgreSQL login, proved with the standard library only (the hosts that run it have no
psycopg2): the frontend/backend protocol 3.0 up to ReadyForQuery, then Terminate; no query is
run, the connection is the check.

TLS follows libpq's sslmode (disable, prefer, require, verify-ca, verify-full; ignored on a Unix
socket, as libpq does), authentication is trust, cleartext, MD5 or SCRAM-SHA-256 (RFC 5802 and
7677, the server's signature checked; no channel binding). Every socket operation is bounded by
the time left of one timeout per connection. A problem is a PgProblem whose message names the
server and the user or database, never the password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import select
import socket
import ssl
import stringprep
import struct
import time
import unicodedata

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.tls_client import client_context

SSLMODES = ('disable', 'prefer', 'require', 'verify-ca', 'verify-full')
PROTOCOL_3_0 = 196608
SSL_REQUEST_CODE = 80877103
# A backend message longer than this is no PostgreSQL answer to a login.
MAX_MESSAGE = 1024 * 1024
# SCRAM iteration counts above this are refused (PostgreSQL's default is 4096).
MAX_ITERATIONS = 10 * 1000 * 1000
APPLICATION_NAME = 'sparkflows.mlops mlflow_store_check'

AUTH_OK, AUTH_KERBEROS, AUTH_CLEARTEXT, AUTH_MD5 = 0, 2, 3, 5
AUTH_SCM, AUTH_GSS, AUTH_GSS_CONTINUE, AUTH_SSPI = 6, 7, 8, 9
AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL = 10, 11, 12
UNSUPPORTED_AUTH = {AUTH_KERBEROS: 'Kerberos V5', AUTH_SCM: 'SCM credential', AUTH_GSS: 'GSSAPI',
                    AUTH_SSPI: 'SSPI'}

# What a problem is about: the server as a whole (every database would meet it again), or
# one database.
SERVER, DATABASE = 'server', 'database'


class PgProblem(Exception):
    """One problem of a PostgreSQL login, in words; `scope` is SERVER or DATABASE."""

    def __init__(self, message, scope=SERVER, sqlstate=None, handshake=False):
        super(PgProblem, self).__init__(message)
        self.scope = scope
        self.sqlstate = sqlstate
        self.handshake = handshake  # the TLS handshake failed (not the certificate's verification)


def where(host, port):
    """How a server is named in messages: HOST:PORT, [IPv6]:PORT, or its Unix socket."""
    if is_socket_directory(host):
        return 'socket %s' % socket_path(host, port)
    return '[%s]:%d' % (host, port) if ':' in host else '%s:%d' % (host, port)


def is_socket_directory(host):
    """libpq's rule: a host that starts with a slash is the directory of a Unix socket."""
    return host.startswith('/')


def socket_path(directory, port):
    return os.path.join(directory, '.s.PGSQL.%d' % port)


# -- messages -------------------------------------------------------------------------------

def ssl_request():
    return struct.pack('!ii', 8, SSL_REQUEST_CODE)


def startup_message(user, database):
    pairs = (('user', user), ('database', database), ('application_name', APPLICATION_NAME))
    body = struct.pack('!i', PROTOCOL_3_0)
    body += b''.join(key.encode('utf-8') + b'\0' + value.encode('utf-8') + b'\0' for key, value in pairs) + b'\0'
    return struct.pack('!i', len(body) + 4) + body


def frontend(kind, payload):
    """A frontend message after the startup: type byte, length, payload."""
    return kind + struct.pack('!i', len(payload) + 4) + payload


def terminate():
    return frontend(b'X', b'')


def password_message(text):
    return frontend(b'p', text.encode('utf-8') + b'\0')


def sasl_initial_response(mechanism, data):
    return frontend(b'p', mechanism.encode('ascii') + b'\0' + struct.pack('!i', len(data)) + data)


def error_fields(payload):
    """The fields of an ErrorResponse or NoticeResponse body: {'S': 'FATAL', 'C': '28P01', 'M': ...}."""
    fields = {}
    for part in payload.split(b'\0'):
        if part:
            fields[part[:1].decode('ascii', 'replace')] = part[1:].decode('utf-8', 'replace')
    return fields


def parameter_status(payload):
    name, _sep, rest = payload.partition(b'\0')
    value = rest.split(b'\0', 1)[0]
    return name.decode('utf-8', 'replace'), value.decode('utf-8', 'replace')


def error_problem(fields, server, user, database):
    """The PgProblem an ErrorResponse means for user's login to database on server."""
    code = fields.get('C', '')
    text = fields.get('M', 'no message').strip()
    if code == '28P01':
        return PgProblem('PostgreSQL at %s refused user %s: password authentication failed (a wrong password, '
                         'or no such user)' % (server, user), SERVER, code)
    if code == '3D000':
        return PgProblem('database %s does not exist on PostgreSQL at %s' % (database, server), DATABASE, code)
    if code == '28000':
        # pg_hba.conf has no line for this host, user and database (or rejects them): it may
        # differ from one database to another.
        return PgProblem('PostgreSQL at %s refused user %s for database %s: %s (pg_hba.conf)'
                         % (server, user, database, text), DATABASE, code)
    if code == '42501':
        return PgProblem('user %s may not connect to database %s on PostgreSQL at %s: %s'
                         % (user, database, server, text), DATABASE, code)
    if code in ('53300', '53400'):
        return PgProblem('PostgreSQL at %s takes no more connections for user %s: %s' % (server, user, text),
                         SERVER, code)
    if code.startswith('57P'):
        return PgProblem('PostgreSQL at %s cannot take connections now: %s' % (server, text), SERVER, code)
    return PgProblem('PostgreSQL at %s refused user %s on database %s: %s (SQLSTATE %s)'
                     % (server, user, database, text, code or 'none'), DATABASE, code)


# -- authentication ----------------------------------------------------------------------------

def md5_password(user, password, salt):
    """The answer to AuthenticationMD5Password: md5 of (md5 of password and user, hex) and salt."""
    inner = hashlib.md5(password.encode('utf-8') + user.encode('utf-8')).hexdigest()  # nosec - PostgreSQL's MD5 auth
    return 'md5' + hashlib.md5(inner.encode('ascii') + salt).hexdigest()  # nosec


_PROHIBITED = (stringprep.in_table_a1, stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
               stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5, stringprep.in_table_c6,
               stringprep.in_table_c7, stringprep.in_table_c8, stringprep.in_table_c9)


def saslprep(password):
    """The bytes SCRAM hashes for password: SASLprep (RFC 4013) of it, or, as PostgreSQL does when
    that fails (a prohibited or unassigned character, mixed directions), the password as is."""
    raw = password.encode('utf-8')
    mapped = ''.join(' ' if stringprep.in_table_c12(char) else char
                     for char in password if not stringprep.in_table_b1(char))
    text = unicodedata.normalize('NFKC', mapped)
    if any(check(char) for char in text for check in _PROHIBITED):
        return raw
    if any(stringprep.in_table_d1(char) for char in text):
        if any(stringprep.in_table_d2(char) for char in text):
            return raw
        if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
            return raw
    return text.encode('utf-8')


def _hmac(key, message):
    return hmac.new(key, message, hashlib.sha256).digest()


class ScramClient(object):
    """The client side of SCRAM-SHA-256 without channel binding (gs2 header `n,,`). PostgreSQL
    takes the user of the startup message and sends an empty SCRAM user name, as libpq does."""

    MECHANISM = 'SCRAM-SHA-256'

    def __init__(self, password, nonce=None, user=''):
        self.password = saslprep(password)
        self.nonce = nonce or base64.b64encode(os.urandom(18)).decode('ascii')
        self.first_bare = 'n=%s,r=%s' % (user.replace('=', '=3D').replace(',', '=2C'), self.nonce)
        self.server_signature = None

    def first(self):
        return 'n,,' + self.first_bare

    def final(self, server_first):
        """client-final-message for server-first-message (both text)."""
        attributes = dict(part.split('=', 1) for part in server_first.split(',') if '=' in part)
        try:
            nonce, salt, iterations = attributes['r'], base64.b64decode(attributes['s']), int(attributes['i'])
        except (KeyError, ValueError, TypeError):
            raise ValueError('a SCRAM server-first-message without nonce, salt and iteration count')
        if not nonce.startswith(self.nonce) or len(nonce) == len(self.nonce):
            raise ValueError('a SCRAM nonce that does not extend ours')
        if not 1 <= iterations <= MAX_ITERATIONS:
            raise ValueError('a SCRAM iteration count of %d' % iterations)
        salted = hashlib.pbkdf2_hmac('sha256', self.password, salt, iterations)
        client_key = _hmac(salted, b'Client Key')
        without_proof = 'c=%s,r=%s' % (base64.b64encode(b'n,,').decode('ascii'), nonce)
        message = ','.join((self.first_bare, server_first, without_proof)).encode('utf-8')
        signature = _hmac(hashlib.sha256(client_key).digest(), message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_signature = _hmac(_hmac(salted, b'Server Key'), message)
        return '%s,p=%s' % (without_proof, base64.b64encode(proof).decode('ascii'))

    def verify(self, server_final):
        """Whether server-final-message carries the signature only a server knowing the password
        can make; raises ValueError with the server's error (e=...)."""
        attributes = dict(part.split('=', 1) for part in server_final.split(',') if '=' in part)
        if 'e' in attributes:
            raise ValueError('the server ended SCRAM with %s' % attributes['e'])
        try:
            signature = base64.b64decode(attributes['v'])
        except (KeyError, ValueError, TypeError):
            return False
        return self.server_signature is not None and hmac.compare_digest(signature, self.server_signature)


# -- TLS ---------------------------------------------------------------------------------------

def tls_context(sslmode, ca_path):
    """The ssl.SSLContext of a TLS sslmode, as libpq verifies: verify-full checks the chain and the
    host name, verify-ca the chain, require checks the chain only when a CA file is given, prefer
    checks nothing. The CA is ca_path, else the system's trust store. Raises PgProblem for a CA
    file that cannot be read."""
    verify = sslmode in ('verify-ca', 'verify-full') or (sslmode == 'require' and ca_path)
    try:
        return client_context(verify, ca_path, check_hostname=sslmode == 'verify-full')
    except (IOError, OSError, ssl.SSLError) as error:
        raise PgProblem('cannot read ca_path %s: %s' % (ca_path, getattr(error, 'strerror', None) or error))


def tls_problem(error, server, host, sslmode, ca_path):
    """A PgProblem for a failed TLS handshake, naming what to fix."""
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = (error.verify_message or str(error)).rstrip('.')
        if error.verify_code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
            return PgProblem('the TLS certificate of PostgreSQL at %s is not for %s: %s (sslmode=verify-full checks '
                             'the name; connect by a name the certificate holds)' % (server, host, detail))
        if ca_path:
            return PgProblem('the TLS certificate of PostgreSQL at %s is not trusted by ca_path %s: %s (sslmode=%s '
                             'verifies it)' % (server, ca_path, detail, sslmode))
        return PgProblem("the TLS certificate of PostgreSQL at %s is not trusted by this host's system CA store: %s "
                         "(sslmode=%s verifies it; give ca_path, the CA file that issued it)"
                         % (server, detail, sslmode))
    return PgProblem('no TLS handshake with PostgreSQL at %s: %s' % (server, getattr(error, 'reason', None) or error),
                     handshake=True)


# -- the connection ----------------------------------------------------------------------------

class Connection(object):
    """One socket to a server, every operation bounded by the deadline."""

    def __init__(self, sock, server, deadline, timeout):
        self.sock = sock
        self.server = server
        self.deadline = deadline
        self.timeout = timeout
        self.tls = None

    def bound(self, doing):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PgProblem('PostgreSQL at %s did not finish the login within %s s (%s)'
                            % (self.server, self.timeout, doing))
        self.sock.settimeout(left)

    def send(self, data, doing='sending'):
        self.bound(doing)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise PgProblem('PostgreSQL at %s did not finish the login within %s s (%s)'
                            % (self.server, self.timeout, doing))
        except (socket.error, OSError) as error:
            raise PgProblem('PostgreSQL at %s closed the connection (%s): %s' % (self.server, doing, _reason(error)))

    def receive(self, count, doing):
        chunks, left = [], count
        while left:
            self.bound(doing)
            try:
                chunk = self.sock.recv(left)
            except socket.timeout:
                raise PgProblem('PostgreSQL at %s did not finish the login within %s s (%s)'
                                % (self.server, self.timeout, doing))
            except (socket.error, OSError) as error:
                raise PgProblem('PostgreSQL at %s closed the connection (%s): %s'
                                % (self.server, doing, _reason(error)))
            if not chunk:
                raise PgProblem('PostgreSQL at %s closed the connection (%s)' % (self.server, doing))
            chunks.append(chunk)
            left -= len(chunk)
        return b''.join(chunks)

    def message(self, doing):
        """(type, payload) of the next backend message."""
        header = self.receive(5, doing)
        kind, length = header[:1], struct.unpack('!i', header[1:])[0]
        if not 4 <= length <= MAX_MESSAGE or not kind.isalpha():
            raise PgProblem('%s does not speak the PostgreSQL protocol (it answered %r)' % (self.server, header))
        return kind, self.receive(length - 4, doing)

    def pending(self):
        """Whether bytes are waiting to be read now."""
        readable, _w, _x = select.select([self.sock], [], [], 0)
        return bool(readable)

    def close(self):
        try:
            self.sock.close()
        except (socket.error, OSError):
            pass


def _reason(error):
    if isinstance(error, socket.timeout):
        return 'no answer'
    if isinstance(error, socket.gaierror):
        return 'cannot resolve the host name: %s' % (error.strerror or error)
    if isinstance(error, ConnectionRefusedError):
        return 'connection refused'
    return getattr(error, 'strerror', None) or str(error) or type(error).__name__


def connect(host, port, timeout, deadline):
    """A Connection to host:port (or the Unix socket of directory host), bounded in time."""
    server = where(host, port)
    try:
        if is_socket_directory(host):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(socket_path(host, port))
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((host, port), timeout=timeout)
    except socket.timeout:
        raise PgProblem('PostgreSQL at %s does not answer (no answer within %s s)' % (server, timeout))
    except (socket.error, OSError) as error:
        raise PgProblem('PostgreSQL at %s does not answer (%s)' % (server, _reason(error)))
    return Connection(sock, server, deadline, timeout)


def start_tls(connection, host, sslmode, ca_path):
    """SSLRequest; the socket wrapped in TLS when the server agrees. Returns whether it did (False:
    the server speaks no TLS and sslmode is prefer)."""
    server = connection.server
    connection.send(ssl_request(), 'asking for TLS')
    answer = connection.receive(1, 'asking for TLS')
    if answer == b'N':
        if sslmode == 'prefer':
            return False
        raise PgProblem('PostgreSQL at %s does not speak TLS, and sslmode=%s needs it (turn ssl on in the server, '
                        'or set sslmode to disable or prefer)' % (server, sslmode))
    if answer != b'S':
        raise PgProblem('%s does not speak the PostgreSQL protocol (it answered %r to SSLRequest)' % (server, answer))
    if connection.pending():
        # Bytes after the one-byte answer were not sent by PostgreSQL, which now waits for the
        # TLS handshake (CVE-2021-23222).
        raise PgProblem('%s answered SSLRequest with more than one byte: no PostgreSQL server, or someone in '
                        'between' % server)
    context = tls_context(sslmode, ca_path)
    connection.bound('TLS handshake')
    try:
        connection.sock = context.wrap_socket(connection.sock, server_hostname=host)
    except socket.timeout:
        raise PgProblem('PostgreSQL at %s did not finish the TLS handshake within %s s' % (server, connection.timeout))
    except ssl.SSLError as error:
        raise tls_problem(error, server, host, sslmode, ca_path)
    except (socket.error, OSError) as error:
        raise PgProblem('no TLS handshake with PostgreSQL at %s: %s' % (server, _reason(error)), handshake=True)
    connection.tls = connection.sock.version()
    return True


def authenticate(connection, user, password, database):
    """Answer the server's authentication requests until AuthenticationOk; returns the method."""
    server = connection.server
    method = 'trust'
    scram = None
    while True:
        kind, payload = connection.message('authenticating')
        if kind == b'E':
            raise error_problem(error_fields(payload), server, user, database)
        if kind == b'N':  # a notice
            continue
        if kind != b'R' or len(payload) < 4:
            raise PgProblem('PostgreSQL at %s sent %r during the login, not an authentication request' % (server, kind))
        code = struct.unpack('!i', payload[:4])[0]
        if code == AUTH_OK:
            return method
        if code in UNSUPPORTED_AUTH or code == AUTH_GSS_CONTINUE:
            raise PgProblem('PostgreSQL at %s asks user %s for %s authentication, which this check does not speak '
                            '(use scram-sha-256 in pg_hba.conf)'
                            % (server, user, UNSUPPORTED_AUTH.get(code, 'GSSAPI')))
        if code in (AUTH_CLEARTEXT, AUTH_MD5, AUTH_SASL) and password is None:
            raise PgProblem('PostgreSQL at %s asks user %s for a password, and none was given' % (server, user))
        if code == AUTH_CLEARTEXT:
            method = 'password'
            connection.send(password_message(password), 'sending the password')
        elif code == AUTH_MD5:
            method = 'md5'
            connection.send(password_message(md5_password(user, password, payload[4:8])), 'sending the password')
        elif code == AUTH_SASL:
            mechanisms = [name.decode('ascii', 'replace') for name in payload[4:].split(b'\0') if name]
            if ScramClient.MECHANISM not in mechanisms:
                raise PgProblem('PostgreSQL at %s offers user %s only the SASL mechanisms %s, not SCRAM-SHA-256'
                                % (server, user, ', '.join(mechanisms) or 'none'))
            method = 'scram-sha-256'
            scram = ScramClient(password)
            connection.send(sasl_initial_response(ScramClient.MECHANISM, scram.first().encode('utf-8')), 'SCRAM')
        elif code == AUTH_SASL_CONTINUE and scram is not None:
            try:
                final = scram.final(payload[4:].decode('utf-8'))
            except (ValueError, UnicodeDecodeError) as error:
                raise PgProblem('PostgreSQL at %s broke SCRAM-SHA-256 off: %s' % (server, error))
            connection.send(frontend(b'p', final.encode('utf-8')), 'SCRAM')
        elif code == AUTH_SASL_FINAL and scram is not None:
            try:
                proved = scram.verify(payload[4:].decode('utf-8'))
            except (ValueError, UnicodeDecodeError) as error:
                raise PgProblem('PostgreSQL at %s broke SCRAM-SHA-256 off: %s' % (server, error))
            if not proved:
                raise PgProblem('PostgreSQL at %s did not prove that it knows the password of user %s (wrong SCRAM '
                                'server signature): is it the server you meant?' % (server, user))
        else:
            raise PgProblem('PostgreSQL at %s asks for authentication %d, which this check does not speak'
                            % (server, code))


def settle(connection, user, database):
    """Read until ReadyForQuery; returns the ParameterStatus values (server_version, ...)."""
    parameters = {}
    while True:
        kind, payload = connection.message('opening the session')
        if kind == b'Z':
            return parameters
        if kind == b'S':
            name, value = parameter_status(payload)
            parameters[name] = value
        elif kind == b'E':
            raise error_problem(error_fields(payload), connection.server, user, database)


def _login(host, port, user, password, database, sslmode, ca_path, timeout, use_tls):
    deadline = time.monotonic() + timeout
    connection = connect(host, port, timeout, deadline)
    try:
        if use_tls and not is_socket_directory(host):
            start_tls(connection, host, sslmode, ca_path)
        connection.send(startup_message(user, database), 'sending the startup message')
        method = authenticate(connection, user, password, database)
        parameters = settle(connection, user, database)
        try:
            connection.send(terminate(), 'closing')
        except PgProblem:
            pass
        return dict(server_version=parameters.get('server_version'), tls=connection.tls, auth=method)
    finally:
        connection.close()


def login(host, port, user, password, database, sslmode='verify-full', ca_path=None, timeout=10):
    """Log in as user to database, then leave: {server_version, tls (its version or None), auth
    (the method the server asked for)}. Raises PgProblem. With sslmode=prefer, a server that
    refuses TLS or whose TLS handshake fails is tried once more without TLS, as libpq does."""
    if sslmode not in SSLMODES:
        raise PgProblem('sslmode must be one of %s, got %s' % (', '.join(SSLMODES), sslmode))
    if sslmode == 'disable':
        return _login(host, port, user, password, database, sslmode, ca_path, timeout, use_tls=False)
    try:
        return _login(host, port, user, password, database, sslmode, ca_path, timeout, use_tls=True)
    except PgProblem as problem:
        if sslmode != 'prefer' or not problem.handshake:
            raise
    return _login(host, port, user, password, database, sslmode, ca_path, timeout, use_tls=False)
