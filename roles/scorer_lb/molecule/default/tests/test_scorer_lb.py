"""Verify the scorer_lb role on the converged instance (testinfra): HAProxy accepts the
configuration it runs (`haproxy -c`), churn-model's URL (https://localhost:8443) speaks TLS 1.2
and 1.3 only, a request without a valid API key or user gets 401, one with either reaches the
stand-in scorer without the credential, and the balancer stores only the credentials' digests.
Every client runs on the instance (python3, the test CA of prepare.yml). The check-mode
preview: molecule/resources/tests/; a changed-variables preview and bad input: beside this."""

import base64
import hashlib
import json
import pathlib

import pytest
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
CONFIG = "/etc/haproxy/haproxy.cfg"
CA = "/root/molecule-ca.crt"
GIVEN = yaml.safe_load((SCENARIO / "molecule.yml").read_text())["provisioner"]["inventory"]["group_vars"]["all"]
API_KEY = GIVEN["scorer_lb_api_keys"][0]
USER = GIVEN["scorer_lb_users"][0]
SAMPLE = {"columns": ["age", "plan"], "data": [[42, "gold"]]}

# A TLS client that offers one protocol version only, at OpenSSL security level 0 (so TLS 1.0
# and 1.1 are offered for real: only the balancer can refuse them). Prints the version
# negotiated, or "refused: <error>".
HANDSHAKE = r"""
import socket, ssl, sys
version = getattr(ssl.TLSVersion, sys.argv[1])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_verify_locations(sys.argv[2])
context.set_ciphers("DEFAULT:@SECLEVEL=0")
context.minimum_version = context.maximum_version = version
try:
    with socket.create_connection(("127.0.0.1", 8443), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            print(tls.version())
except (ssl.SSLError, ConnectionError) as error:
    print("refused: %s" % error)
"""

# POST the sample to the URL with the headers given (JSON): prints [status, body or headers].
REQUEST = r"""
import json, ssl, sys, urllib.error, urllib.request
context = ssl.create_default_context(cafile=sys.argv[1])
request = urllib.request.Request("https://localhost:8443/predict", method="POST", data=sys.argv[3].encode(),
                                 headers=dict({"Content-Type": "application/json"}, **json.loads(sys.argv[2])))
try:
    with urllib.request.urlopen(request, timeout=10, context=context) as answer:
        print(json.dumps([answer.status, json.loads(answer.read())]))
except urllib.error.HTTPError as error:
    print(json.dumps([error.code, dict((k.lower(), v) for k, v in error.headers.items())]))
"""


def score(host, headers):
    return json.loads(host.check_output("python3 -c %s %s %s %s", REQUEST, CA, json.dumps(headers),
                                        json.dumps(SAMPLE)))


def basic(name, password):
    return "Basic " + base64.b64encode(("%s:%s" % (name, password)).encode()).decode()


def test_haproxy_runs_the_configuration_it_accepts(host):
    assert host.run("haproxy -c -f %s", CONFIG).rc == 0
    service = host.service("haproxy")
    assert service.is_running and service.is_enabled
    config = host.file(CONFIG).content_string
    assert "frontend scorer_churn-model" in config and "server sfmlops-molecule-scorer_lb 127.0.0.1:18081" in config


@pytest.mark.parametrize("version, negotiated", [("TLSv1", None), ("TLSv1_1", None),
                                                 ("TLSv1_2", "TLSv1.2"), ("TLSv1_3", "TLSv1.3")])
def test_tls_1_2_and_newer_only(host, version, negotiated):
    answer = host.check_output("python3 -c %s %s %s", HANDSHAKE, version, CA)
    if negotiated:
        assert answer == negotiated
    else:
        assert answer.startswith("refused: "), "%s was accepted: %s" % (version, answer)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": API_KEY[:-1] + "x"}, {"X-API-Key": ""},
                                     {"Authorization": basic(USER["name"], "wrong")}],
                         ids=["no credential", "wrong key", "empty key", "wrong password"])
def test_a_request_without_a_valid_key_or_user_gets_401(host, headers):
    status, answer = score(host, headers)
    assert status == 401, (status, answer)
    assert answer.get("www-authenticate", "").startswith("Basic realm="), answer


@pytest.mark.parametrize("headers", [{"X-API-Key": API_KEY}, {"Authorization": basic(USER["name"], USER["password"])}],
                         ids=["api key", "user"])
def test_a_key_or_a_user_reaches_the_scorer_without_the_credential(host, headers):
    # The stand-in scorer names the credential headers it received: none.
    assert score(host, headers) == [200, {"predictions": [0], "credentials_seen": []}]


def test_the_balancer_stores_digests_only(host):
    stored = host.file("/etc/haproxy/sparkflows/api-keys.sha256")
    assert (stored.user, stored.group, stored.mode) == ("root", "haproxy", 0o640)
    assert stored.content_string.split() == [hashlib.sha256(API_KEY.encode()).hexdigest()]
    users = host.file("/etc/haproxy/sparkflows/users.sha256").content_string
    assert users.split() == [hashlib.sha256(basic(USER["name"], USER["password"]).encode()).hexdigest()]
    assert host.file("/etc/haproxy/sparkflows/scorer_lb.pem.key").mode == 0o600
