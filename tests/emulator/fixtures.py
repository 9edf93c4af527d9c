"""pytest fixtures that run the Sparkflows emulator as a real HTTP(S) server on loopback."""

import json
import pathlib
import select
import subprocess
import sys
import urllib.request

import pytest

from utils.certificates import make_ca, make_server_certificate, pem_certificate, pem_key

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
    ca_key, ca_certificate = make_ca("sparkflows.mlops test CA")
    server_key, server_certificate = make_server_certificate(ca_key, ca_certificate)
    files = {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key"}
    files["ca"].write_bytes(pem_certificate(ca_certificate))
    files["cert"].write_bytes(pem_certificate(server_certificate))
    files["key"].write_bytes(pem_key(server_key))
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
