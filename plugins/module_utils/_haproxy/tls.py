# Copyright (c) sparkflows.mlops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The TLS and authentication rules of every HAProxy this collection configures (role scorer_lb's
balancers, the MLflow host's proxy), in one place: the protocol versions and ciphers a
TLS-terminating HAProxy accepts (its `global` lines), the TLS options of a frontend's `bind`, what
HAProxy stores to recognise the API keys and basic-auth users (SHA-256 digests, never the
secrets), and the frontend lines that recognise a request by them and remove the credentials
before a server sees it. The roles reach them through the haproxy_* filters; their templates
only arrange the lines."""

from __future__ import annotations

import base64
import hashlib
import re

# TLS 1.2 and newer only.
MIN_TLS_VERSION = 'TLSv1.2'
# TLS 1.2: forward-secret AEAD ciphers only (ECDHE key exchange, AES-GCM or ChaCha20-Poly1305).
CIPHERS = ('ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
           'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
           'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305')
# TLS 1.3: its AEAD suites.
CIPHERSUITES = ('TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256')
# No session tickets: a stolen ticket key would open every session resumed with it.
OPTIONS = ('ssl-min-ver ' + MIN_TLS_VERSION, 'no-tls-tickets')
# The application protocol a frontend offers: HTTP/1.1.
ALPN = ('http/1.1',)
# The sides HAProxy has TLS defaults for: the frontends' binds, the backends' servers.
SIDES = ('bind', 'server')

# Each matches a whole value (fullmatch). The stored digests: lower-case hex SHA-256, as
# `digest(sha256),hex,lower` gives them.
DIGEST = re.compile(r'[0-9a-f]{64}')
# A request header's name: the letters, digits and signs of RFC 9110's tokens that HAProxy's
# configuration takes as they are (no comment sign, quote or backslash).
HEADER_NAME = re.compile(r'[0-9A-Za-z._-]+')
# One word of HAProxy's configuration: no space, quote, backslash or comment sign.
WORD = re.compile(r'[^\s"\'\\#]+')


class HaproxyRuleError(ValueError):
    """A value these rules cannot write into HAProxy's configuration; one message naming it."""


def tls_globals(side='bind'):
    """The `global` section's lines of a TLS-terminating HAProxy (side bind), or of one that
    speaks TLS to its servers (side server): the minimum version, no session tickets, the ciphers
    of TLS 1.2 and the suites of TLS 1.3."""
    if side not in SIDES:
        raise HaproxyRuleError('the TLS side must be one of %s, not %r' % (', '.join(SIDES), side))
    return ['ssl-default-%s-options %s' % (side, ' '.join(OPTIONS)),
            'ssl-default-%s-ciphers %s' % (side, ':'.join(CIPHERS)),
            'ssl-default-%s-ciphersuites %s' % (side, ':'.join(CIPHERSUITES))]


def _word(value, what):
    if not isinstance(value, str) or not WORD.fullmatch(value):
        raise HaproxyRuleError('%s must be one word without spaces, quotes or #, not %r' % (what, value))
    return value


def bind_tls(certificate):
    """What follows a frontend's `bind address:port`: TLS with the certificate (its key beside it
    as certificate.key, which HAProxy loads with it) and the application protocol offered."""
    return 'ssl crt %s alpn %s' % (_word(certificate, 'the certificate path'), ','.join(ALPN))


def credential_digests(api_keys=None, users=None):
    """What HAProxy stores to recognise a request: the SHA-256 (lower-case hex) of each API key,
    and of each user's whole `Authorization: Basic ...` value - never the secrets."""
    keys = []
    for key in api_keys or []:
        if not isinstance(key, str) or len(key) < 16:
            raise HaproxyRuleError('every API key must be text of 16 characters or more')
        keys.append(hashlib.sha256(key.encode()).hexdigest())
    basics = []
    for user in users or []:
        if not isinstance(user, dict) or not user.get('name') or not user.get('password'):
            raise HaproxyRuleError('every user needs a name and a password')
        if ':' in str(user['name']):
            raise HaproxyRuleError('user name %r has a colon, which basic authentication cannot carry' % user['name'])
        token = base64.b64encode(('%s:%s' % (user['name'], user['password'])).encode()).decode()
        basics.append(hashlib.sha256(('Basic ' + token).encode()).hexdigest())
    return dict(api_keys=sorted(set(keys)), users=sorted(set(basics)))


def checked_digests(credentials):
    """credentials as credential_digests returns them (api_keys, users: lists of digests), or an
    error that shows none of its values (a secret given where its digest belongs)."""
    if not isinstance(credentials, dict) or set(credentials) != {'api_keys', 'users'}:
        raise HaproxyRuleError('the credentials must be a mapping of api_keys and users (the digests of haproxy_credentials)')
    for kind in ('api_keys', 'users'):
        listed = credentials[kind]
        if not isinstance(listed, list) or not all(isinstance(d, str) and DIGEST.fullmatch(d) for d in listed):
            raise HaproxyRuleError('the credentials\' %s must be SHA-256 digests (haproxy_credentials), not the secrets' % kind)
    return credentials


def auth_lines(credentials, header, realm, api_keys_file, users_file, servers='servers'):
    """A frontend's lines that let a request through only with an API key in header or a
    basic-auth user whose digest is listed in api_keys_file or users_file (else 401 with the basic
    challenge of realm), then remove both credential headers; none when credentials (the
    digests, credential_digests) hold neither keys nor users. servers: what the comment calls
    the servers behind the frontend."""
    credentials = checked_digests(credentials)
    if not credentials['api_keys'] and not credentials['users']:
        return []
    if not isinstance(header, str) or not HEADER_NAME.fullmatch(header):
        raise HaproxyRuleError('the API key header must be a header name (letters, digits, - _ .), not %r' % (header,))
    if header.lower() == 'authorization':
        raise HaproxyRuleError('the API key header cannot be Authorization, which carries the basic-auth users')
    realm = _word(realm, 'the realm')
    api_keys_file, users_file = _word(api_keys_file, 'the API keys\' file'), _word(users_file, 'the users\' file')
    if not isinstance(servers, str) or '\n' in servers:
        raise HaproxyRuleError('the servers\' name must be one line of text, not %r' % (servers,))
    return [
        'http-request set-var(txn.api_key) req.hdr(%s),digest(sha256),hex,lower if { req.hdr(%s) -m found }' % (header, header),
        'http-request set-var(txn.basic) req.hdr(authorization),digest(sha256),hex,lower if { req.hdr(authorization) -m found }',
        'acl api_key_ok var(txn.api_key) -m str -f %s' % api_keys_file,
        'acl user_ok var(txn.basic) -m str -f %s' % users_file,
        'http-request auth realm %s unless api_key_ok || user_ok' % realm,
        '# The credentials stop here: the %s never see them.' % servers,
        'http-request del-header %s' % header,
        'http-request del-header authorization',
    ]
