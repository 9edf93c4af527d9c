"""pytest fixtures that run the Sparkflows emulator as a real HTTP(S) server on loopback."""

import json
import pathlib
import select
import subprocess
import sys
import urllib.request

import pytest

EMULATOR = pathlib.Path(__file__).with_name("sparkflows_emulator.py")
ADMIN_TOKEN = "admin-token"
ANALYST_TOKEN = "analyst-token"
ADMIN_PASSWORD = "admin-password"


class Emulator(object):
    def __init__(self, process, url, state_file):
        self.process = process
        self.url = url
        self.state_file = state_file
        self.models_dir = state_file.parent / "models"

    def control(self, path, payload=None, context=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method="POST" if data else "GET")
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return json.loads(response.read())

    def requests(self, context=None):
        return self.control("requests", context=context)

    def state_bytes(self):
        return self.state_file.read_bytes() if self.state_file.exists() else b""


def start_emulator(state_file, *extra, port=0):
    """Start the emulator; its model files are served from state_file's folder /models."""
    models_dir = state_file.parent / "models"
    models_dir.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, str(EMULATOR), "--port", str(port), "--state-file", str(state_file),
         "--models-dir", str(models_dir), *extra],
        stdout=subprocess.PIPE, text=True,
    )
    # "READY <port>" is printed once it listens; wait for it, bounded.
    ready, _w, _x = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        process.kill()
        raise RuntimeError("emulator did not start: %r" % line)
    return int(line.split()[1]), process


@pytest.fixture
def emulator(tmp_path):
    state_file = tmp_path / "sparkflows-configurations.json"
    port, process = start_emulator(state_file)
    yield Emulator(process, "http://127.0.0.1:%d" % port, state_file)
    process.kill()
    process.wait(timeout=10)


def make_tls_files(directory):
    """A private CA and a server certificate for 127.0.0.1 signed by it (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    validity = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))

    def certificate(subject, issuer, public_key, signing_key, ca, san=None):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                   .serial_number(x509.random_serial_number()).not_valid_before(validity[0])
                   .not_valid_after(validity[1])
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(san, critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sparkflows.mlops test CA")])
    ca_cert = certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]), ca_name, server_key.public_key(),
        ca_key, False, x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
    )
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    files["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files["cert"].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    files["key"].chmod(0o600)
    return files


@pytest.fixture
def tls_emulator(tmp_path):
    """The emulator over HTTPS with a certificate from a private CA (tls_emulator.ca)."""
    files = make_tls_files(tmp_path)
    state_file = tmp_path / "sparkflows-configurations.json"
    port, process = start_emulator(state_file, "--tls-cert", str(files["cert"]), "--tls-key", str(files["key"]))
    server = Emulator(process, "https://127.0.0.1:%d" % port, state_file)
    server.ca = files["ca"]
    yield server
    process.kill()
    process.wait(timeout=10)


def seed_configurations(server, values, token=ADMIN_TOKEN):
    """Store configuration values through the documented API, as an administrator would."""
    body = json.dumps([{"name": k, "value": v} for k, v in values.items()]).encode()
    request = urllib.request.Request(server.url + "/api/v1/configurations", data=body, method="POST",
                                     headers={"token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    server.control("reset", {})
