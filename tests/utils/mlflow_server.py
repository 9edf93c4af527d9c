"""A real MLflow tracking server on loopback for tests of what talks to MLflow's REST API: the
MLflow release of role mlflow_host's `current` profile (its defaults, the one owner of the pin)
in a virtual environment kept in .cache/mlflow-server/ (made once, under a lock: two
pytest-xdist workers share it), a SQLite backend store (a SQL store: MLflow keeps webhooks only
there) and MLflow's basic-auth app, in a directory of the test's own.

MLflow delivers webhooks through a requests session that ignores REQUESTS_CA_BUNDLE
(trust_env = False): it trusts the certifi bundle of its own Python only. The environment's
bundle therefore also holds a CA made here once (ca.pem, ca.key beside it), which issues the
certificates of the tests' listeners (listener_certificate)."""

import collections
import contextlib
import fcntl
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.request

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from utils.certificates import make_ca, make_server_certificate, pem_certificate, pem_key
from utils.ports import free_port
from utils.process import stop

REPO = pathlib.Path(__file__).resolve().parents[2]
HOME = REPO / ".cache" / "mlflow-server"
ADMIN_PASSWORD = "Mlflow-Admin-Pa55-w0rd"
Server = collections.namedtuple("Server", "url admin password log")


def mlflow_requirement():
    """mlflow[auth]==X of role mlflow_host's current profile."""
    defaults = yaml.safe_load((REPO / "roles" / "mlflow_host" / "defaults" / "main.yml").read_text())
    packages = defaults["mlflow_host_profiles"]["current"]["packages"]
    return next(package for package in packages if re.match(r"mlflow(\[[^\]]*\])?==", package))


def environment():
    """The virtual environment's directory, made when missing or made for another MLflow."""
    requirement = mlflow_requirement()
    HOME.mkdir(parents=True, exist_ok=True)
    venv = HOME / "venv"
    with open(HOME / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        marker = venv / ".installed"
        if not marker.exists() or marker.read_text() != requirement:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement], check=True, timeout=1200)
            ca_key, ca = make_ca("sfmlops MLflow webhook test CA")
            (HOME / "ca.pem").write_bytes(pem_certificate(ca))
            (HOME / "ca.key").write_bytes(pem_key(ca_key))
            os.chmod(HOME / "ca.key", 0o600)
            bundle = subprocess.run([str(venv / "bin" / "python"), "-c", "import certifi; print(certifi.where())"],
                                    check=True, capture_output=True, text=True, timeout=60).stdout.strip()
            with open(bundle, "ab") as trusted:
                trusted.write(b"\n" + pem_certificate(ca))
            marker.write_text(requirement)
    return venv


def listener_certificate(directory):
    """(certificate file, key file) for 127.0.0.1, issued by the CA MLflow's deliveries trust."""
    ca = x509.load_pem_x509_certificate((HOME / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((HOME / "ca.key").read_bytes(), password=None)
    key, certificate = make_server_certificate(ca_key, ca)
    paths = pathlib.Path(directory) / "listener.pem", pathlib.Path(directory) / "listener.key"
    paths[0].write_bytes(pem_certificate(certificate))
    paths[1].write_bytes(pem_key(key))
    return paths


@contextlib.contextmanager
def running_server(directory):
    """An MLflow server with basic authentication (user admin, ADMIN_PASSWORD) in directory;
    deliveries to private addresses allowed (the tests' listeners are on loopback); MLflow 3's
    server jobs off, as role mlflow_host runs it by default."""
    venv = environment()
    directory = pathlib.Path(directory)
    port = free_port()
    (directory / "auth.ini").write_text(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///%s\nadmin_username = admin\n"
        "admin_password = %s\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
        % (directory / "auth.sqlite", ADMIN_PASSWORD))
    log_path = directory / "mlflow-server.log"
    env = dict(os.environ, MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS="true", MLFLOW_AUTH_CONFIG_PATH=str(directory / "auth.ini"),
               MLFLOW_FLASK_SERVER_SECRET_KEY="test-flask-key", MLFLOW_AUTH_ADMIN_PASSWORD=ADMIN_PASSWORD,
               MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(venv / "bin" / "mlflow"), "server", "--app-name", "basic-auth", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1", "--backend-store-uri", "sqlite:///%s" % (directory / "mlflow.sqlite"),
             "--default-artifact-root", str(directory / "artifacts")],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(directory))
    try:
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=5):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, \
                    "MLflow did not start:\n" + log_path.read_text()[-4000:]
                time.sleep(1)
        yield Server(url, "admin", ADMIN_PASSWORD, log_path)
    finally:
        stop(process, timeout=30)
