"""The TLS and authentication rules every HAProxy of the collection shares: the global TLS
lines, a bind's TLS options, the stored credential digests (computed here independently) and the
frontend lines that check a request against them."""

import base64
import hashlib

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.tls import (
    CIPHERS,
    CIPHERSUITES,
    MIN_TLS_VERSION,
    HaproxyRuleError,
    auth_lines,
    bind_tls,
    checked_digests,
    credential_digests,
    tls_globals,
)


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def basic(name, password):
    return "Basic " + base64.b64encode(("%s:%s" % (name, password)).encode()).decode()


# tls_globals

def test_the_global_lines_of_the_binds():
    assert tls_globals() == tls_globals("bind") == [
        "ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        "ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
        "ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
    ]


def test_the_servers_side_has_the_same_rules():
    assert tls_globals("server") == [line.replace("-bind-", "-server-") for line in tls_globals("bind")]


def test_tls_1_2_is_the_minimum_and_every_cipher_is_forward_secret_and_aead():
    assert MIN_TLS_VERSION == "TLSv1.2"
    assert all(c.startswith("ECDHE-") and ("-GCM-" in c or c.endswith("-CHACHA20-POLY1305")) for c in CIPHERS)
    assert all(s.startswith("TLS_") and ("_GCM_" in s or "_CHACHA20_POLY1305_" in s) for s in CIPHERSUITES)


@pytest.mark.parametrize("side", ["frontend", "", None, "Bind"])
def test_an_unknown_side_is_refused(side):
    with pytest.raises(HaproxyRuleError, match="the TLS side must be one of bind, server"):
        tls_globals(side)


# bind_tls

def test_a_bind_takes_the_certificate_and_offers_http_1_1():
    assert bind_tls("/etc/haproxy/sparkflows/scorer_lb.pem") == "ssl crt /etc/haproxy/sparkflows/scorer_lb.pem alpn http/1.1"


@pytest.mark.parametrize("path", ["", "/etc/haproxy/my cert.pem", "/etc/x.pem\nbind *:80", None, "/etc/#x.pem", '"/x.pem"'])
def test_a_certificate_path_that_is_not_one_word_is_refused(path):
    with pytest.raises(HaproxyRuleError, match="the certificate path must be one word"):
        bind_tls(path)


# credential_digests

def test_an_api_key_is_stored_as_its_sha256():
    key = "k3y-of-sixteen-chars-or-more"
    assert credential_digests([key]) == dict(api_keys=[sha256(key)], users=[])


def test_a_user_is_stored_as_the_sha256_of_its_whole_basic_authorization_value():
    header = "Basic " + base64.b64encode(b"app:s3cret p\xc3\xa4ss").decode()
    found = credential_digests(users=[{"name": "app", "password": "s3cret p\u00e4ss"}])
    assert found == dict(api_keys=[], users=[sha256(header)])


def test_digests_are_sorted_and_deduplicated():
    keys = ["b" * 16, "a" * 16, "b" * 16]
    assert credential_digests(keys)["api_keys"] == sorted({sha256("a" * 16), sha256("b" * 16)})


def test_nothing_given_nothing_stored():
    assert credential_digests() == credential_digests([], []) == dict(api_keys=[], users=[])


@pytest.mark.parametrize("key", ["a" * 15, "", 1234567890123456789, None])
def test_a_short_or_non_text_key_is_refused(key):
    with pytest.raises(HaproxyRuleError, match="every API key must be text of 16 characters or more"):
        credential_digests(["a" * 16, key])


def test_a_key_of_exactly_16_characters_is_accepted():
    assert credential_digests(["x" * 16])["api_keys"] == [sha256("x" * 16)]


def test_a_user_name_with_a_colon_is_refused():
    with pytest.raises(HaproxyRuleError, match="user name 'ops:app' has a colon"):
        credential_digests(users=[{"name": "ops:app", "password": "secret"}])


@pytest.mark.parametrize("user", [{"name": "app"}, {"password": "secret"}, {"name": "", "password": "x"}, "app:secret"])
def test_a_user_without_name_or_password_is_refused(user):
    with pytest.raises(HaproxyRuleError, match="every user needs a name and a password"):
        credential_digests(users=[user])


# checked_digests

def test_digests_are_taken_as_they_are():
    digests = credential_digests(["a" * 16], [{"name": "app", "password": "secret"}])
    assert checked_digests(digests) is digests


@pytest.mark.parametrize("credentials", [None, [], {"api_keys": []}, {"api_keys": [], "users": [], "other": []}])
def test_credentials_of_another_shape_are_refused(credentials):
    with pytest.raises(HaproxyRuleError, match="must be a mapping of api_keys and users"):
        checked_digests(credentials)


@pytest.mark.parametrize("kind, listed", [
    ("api_keys", ["a-raw-api-key-of-some-length"]),
    ("users", [sha256("x").upper()]),
    ("users", "not a list"),
    ("api_keys", [None]),
])
def test_a_secret_where_a_digest_belongs_is_refused_without_showing_it(kind, listed):
    credentials = dict(api_keys=[], users=[])
    credentials[kind] = listed
    with pytest.raises(HaproxyRuleError) as refused:
        checked_digests(credentials)
    assert "%s must be SHA-256 digests" % kind in str(refused.value)
    assert "a-raw-api-key" not in str(refused.value)


# auth_lines

FILES = dict(api_keys_file="/etc/haproxy/sparkflows/api-keys.sha256", users_file="/etc/haproxy/sparkflows/users.sha256")


def test_the_lines_check_the_key_or_the_user_then_remove_both():
    digests = credential_digests(["a" * 16], [{"name": "app", "password": "secret"}])
    assert auth_lines(digests, "X-API-Key", "sparkflows-scorer", servers="scorers", **FILES) == [
        "http-request set-var(txn.api_key) req.hdr(X-API-Key),digest(sha256),hex,lower if { req.hdr(X-API-Key) -m found }",
        "http-request set-var(txn.basic) req.hdr(authorization),digest(sha256),hex,lower if { req.hdr(authorization) -m found }",
        "acl api_key_ok var(txn.api_key) -m str -f /etc/haproxy/sparkflows/api-keys.sha256",
        "acl user_ok var(txn.basic) -m str -f /etc/haproxy/sparkflows/users.sha256",
        "http-request auth realm sparkflows-scorer unless api_key_ok || user_ok",
        "# The credentials stop here: the scorers never see them.",
        "http-request del-header X-API-Key",
        "http-request del-header authorization",
    ]


@pytest.mark.parametrize("keys, users", [(["a" * 16], []), ([], [{"name": "app", "password": "secret"}])])
def test_keys_or_users_alone_need_the_same_lines(keys, users):
    lines = auth_lines(credential_digests(keys, users), "X-Token", "mlflow", **FILES)
    assert len(lines) == 8 and "http-request auth realm mlflow unless api_key_ok || user_ok" in lines
    assert lines[5] == "# The credentials stop here: the servers never see them."
    assert lines[-2:] == ["http-request del-header X-Token", "http-request del-header authorization"]


def test_without_keys_or_users_the_frontend_is_open():
    assert auth_lines(credential_digests(), "X-API-Key", "realm", **FILES) == []


def test_the_stored_digests_are_what_the_lines_compute_of_a_request():
    """HAProxy's digest(sha256),hex,lower of the header's value: the digest the file lists."""
    key, user = "k3y-of-sixteen-chars-or-more", {"name": "app", "password": "s3cret"}
    digests = credential_digests([key], [user])
    lines = auth_lines(digests, "X-API-Key", "realm", **FILES)
    assert any("req.hdr(X-API-Key),digest(sha256),hex,lower" in line for line in lines)
    assert any("req.hdr(authorization),digest(sha256),hex,lower" in line for line in lines)
    assert hashlib.sha256(key.encode()).hexdigest().lower() in digests["api_keys"]
    assert hashlib.sha256(basic(user["name"], user["password"]).encode()).hexdigest().lower() in digests["users"]


@pytest.mark.parametrize("header", ["X API Key", "", "X-Key:", None, "X-Key\n", "X#Key", "X'Key", "Authorization", "authorization"])
def test_a_header_that_cannot_carry_the_key_is_refused(header):
    with pytest.raises(HaproxyRuleError, match="API key header"):
        auth_lines(credential_digests(["a" * 16]), header, "realm", **FILES)


@pytest.mark.parametrize("realm", ["two words", "", '"quoted"', "a#b", None])
def test_a_realm_that_is_not_one_word_is_refused(realm):
    with pytest.raises(HaproxyRuleError, match="the realm must be one word"):
        auth_lines(credential_digests(["a" * 16]), "X-API-Key", realm, **FILES)


@pytest.mark.parametrize("files, message", [
    (dict(api_keys_file="/etc/my keys", users_file="/etc/users"), "the API keys' file must be one word"),
    (dict(api_keys_file="/etc/keys", users_file=""), "the users' file must be one word"),
])
def test_a_file_that_is_not_one_word_is_refused(files, message):
    with pytest.raises(HaproxyRuleError, match=message):
        auth_lines(credential_digests(["a" * 16]), "X-API-Key", "realm", **files)


def test_the_servers_name_is_one_line():
    with pytest.raises(HaproxyRuleError, match="the servers' name must be one line"):
        auth_lines(credential_digests(["a" * 16]), "X-API-Key", "realm", servers="a\nbind *:80", **FILES)


def test_secrets_given_instead_of_digests_are_refused():
    with pytest.raises(HaproxyRuleError, match="must be SHA-256 digests"):
        auth_lines(dict(api_keys=["a-raw-api-key-of-some-length"], users=[]), "X-API-Key", "realm", **FILES)


def test_a_digest_with_a_trailing_newline_is_no_digest():
    with pytest.raises(HaproxyRuleError, match="must be SHA-256 digests"):
        checked_digests(dict(api_keys=[sha256("a" * 16) + "\n"], users=[]))


def test_a_realm_with_a_trailing_newline_is_refused():
    with pytest.raises(HaproxyRuleError, match="the realm must be one word"):
        auth_lines(credential_digests(["a" * 16]), "X-API-Key", "realm\n", **FILES)
