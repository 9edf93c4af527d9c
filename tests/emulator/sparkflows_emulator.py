"""Sparkflows server emulator for the tests: the documented REST API of ../shared/SPARKFLOWS.md.

It answers over real HTTP(S) the endpoints the collection's client uses (health, release info,
about, user info, admin flag, configurations, workflows and executions, output models) with
token-header and session-cookie authentication. The collection never imports it.

Test controls live under /_emulator/ (no authentication):
  GET  /_emulator/requests   the requests seen so far: [{method, path, status, headers (names)}]
  GET  /_emulator/sessions   the session ids (JSESSIONID) every login so far was issued, oldest first
  POST /_emulator/faults     inject faults: {"html": bool (every API answer is a login page),
                             "fail_next": [status, ...], "html_download": bool,
                             "drop_after": bytes (next download body is cut there),
                             "no_ranges": bool (downloads ignore Range)}
  POST /_emulator/variant    answer as another plausible server would where the documentation is
                             silent (one variant per uncertainty, see VARIANTS): {"config_shape":
                             "flat", "config_post": "replace", ...}
  POST /_emulator/reset      forget requests and faults, and return to the variants it started with
  GET  /_emulator/configurations   the configurations as stored, secrets in clear (what GET masks)
  POST /_emulator/configurations   store these {name: value} as they are (a seed)

Model files are served from --models-dir: DIR/<model id>.<fileType>, with ETag, HEAD,
If-None-Match and Range; DIR/models.json, when present, replaces the model list.

Run: python3 sparkflows_emulator.py --port PORT [--state-file FILE] [--models-dir DIR]
     [--tls-cert C --tls-key K] [--variant NAME=VALUE ...]
It prints "READY <port>" once it listens. Configurations persist in --state-file as JSON.
"""

import argparse
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

RELEASE = "3.1.0"
USERS = {
    # username: (password, token, is_admin)
    "admin": ("admin-password", "admin-token", True),
    "analyst": ("analyst-password", "analyst-token", False),
}
WORKFLOWS = {
    # name: (id, final status, seconds it runs)
    "score-churn": (11, "COMPLETED", 1.0),
    "score-broken": (12, "FAILED", 0.5),
    "score-forever": (13, "RUNNING", 10 ** 6),
}
MODELS = [
    {"id": 101, "uuid": "5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d0101", "name": "churn-model", "version": 1,
     "stage": "Production", "modelType": "sklearn"},
    {"id": 102, "uuid": "5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d0102", "name": "churn-model", "version": 2,
     "stage": "Staging", "modelType": "sklearn"},
]
# The documented uncertainties of ../shared/SPARKFLOWS.md, each a switch; the first value is the default.
VARIANTS = {
    # GET /api/v1/configurations: [{name, value}], {name: value}, a Spring Data page of entries,
    # entries grouped by category, or JPA-style entities [{id, configKey, configValue, category}].
    "config_shape": ("entries", "flat", "page", "grouped", "entities"),
    # POST /api/v1/configurations: merges the keys sent, or replaces the whole set with them.
    "config_post": ("merge", "replace"),
    # GET /api/v1/configurations (and /infer) show secret values masked as ********, in clear,
    # or as [PROTECTED]; whatever POST is given is stored, a mask too (as a plain server would).
    "config_secrets": ("masked", "clear", "protected"),
    # GET /api/v1/configurations/infer: not served (404; POST takes the shape GET answers), or
    # served as JPA-style entities [{id, configKey, configValue, category}] - and then POST takes
    # only that shape (an id must be the one of its key), whatever shape GET answers.
    "config_infer": ("absent", "entities"),
    # Keys the server does not define: kept, or silently dropped on POST.
    "unknown_keys": ("keep", "drop"),
    # Model versions in the model list: numbers, or strings ("10").
    "model_versions": ("number", "string"),
    # GET /api/v1/mlmodel/OutputModels: a list, or a Spring Data page.
    "models_shape": ("list", "page"),
    # The key of the release in GET /api/v1/app/release-info.
    "release_key": ("release", "version", "unknown"),
    # GET /api/v1/workflow-executions/{id}/status: the state as text, as its numeric code, or as
    # {"status": ..., "message": ...} (a failed execution's message in it).
    "execution_status": ("text", "code", "object"),
}
EXECUTION_CODES = {"RUNNING": 0, "COMPLETED": 2, "FAILED": 3}
DEFAULT_VARIANTS = dict((name, values[0]) for name, values in VARIANTS.items())
# Configuration keys the emulated server defines (the documented ones, ../shared/SPARKFLOWS.md:
# MLflow, the S3 registry store, the deployment target, SageMaker's and Kubeflow's): with
# unknown_keys=drop, a POST keeps only these and the keys it already holds.
DEFINED_KEYS = frozenset((
    "mlops.mlflow.trackingURL", "mlops.mlflow.deploy.mode", "mlops.port", "mlops.aws.s3.access.key",
    "mlops.aws.s3.secret.key", "mlops.aws.s3.endpoint.url", "mlops.aws.s3.ignore.tls", "mlops.models.state.values",
    "mlops.target.deployment", "mlops.region", "mlops.aws_id", "mlops.arn",
    "mlops.kubeflow.username", "mlops.kubeflow.password", "mlops.kubeflow.namespace", "mlops.kubeflow.config.path",
    "mlops.kubeflow.hostport", "mlops.docker.registry.sparkflows", "mlops.docker.context.path",
    "mlops.fire.server.jar.name", "mlops.deployment.container.port", "mlops.service.port", "mlops.service.target.port",
    "mlops.timeout", "mlops.kubernetes.config.path", "mlops.kubernetes.images.namespace",
))
# The emulated server's own idea of a secret setting (not the client's word list): the S3 keys,
# the Kubeflow and MLflow passwords among them.
SECRET_PARTS = ("password", "secret", "access.key", "token")
MASKS = {"masked": "********", "protected": "[PROTECTED]"}
NO_FAULTS = {"html": False, "fail_next": [], "html_download": False, "drop_after": None, "no_ranges": False}
DOWNLOAD = re.compile(r"^/api/v1/mlmodel/outputModel/(?P<id>[^/]+)/download/(?P<file_type>[^/]+)$")
CHUNK = 1 << 20
INVALID_TOKEN = {"error": "invalid_token", "error_description": "Invalid access token"}


class State(object):
    def __init__(self, state_file, release, models_dir=None, variants=None):
        self.lock = threading.RLock()
        self.start_variants = dict(DEFAULT_VARIANTS, **(variants or {}))
        self.variants = dict(self.start_variants)
        self.models_dir = models_dir
        self.state_file = state_file
        self.release = release
        self.sessions = {}
        self.executions = {}
        self.next_execution = 160
        self.requests = []
        self.faults = dict(NO_FAULTS)
        self.configurations = {}
        self.config_ids = {}  # key -> the id of its entity, given when the key first came
        if state_file and os.path.exists(state_file):
            with open(state_file) as f:
                self.configurations = {item["name"]: item["value"] for item in json.load(f)}

    def config_id(self, key):
        if key not in self.config_ids:
            self.config_ids[key] = max(self.config_ids.values() or [0]) + 1
        return self.config_ids[key]

    def shown_configurations(self):
        """The configurations as GET shows them: secrets masked in the config_secrets variant."""
        mask = MASKS.get(self.variants["config_secrets"])
        return dict((key, mask if mask and value not in (None, "") and any(part in key.lower() for part in SECRET_PARTS)
                     else value) for key, value in self.configurations.items())

    def models(self):
        listing = os.path.join(self.models_dir or "", "models.json")
        if self.models_dir and os.path.exists(listing):
            with open(listing) as f:
                return json.load(f)
        return MODELS

    def save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump([{"name": k, "value": v} for k, v in sorted(self.configurations.items())], f, indent=1)
        os.replace(tmp, self.state_file)


class Handler(BaseHTTPRequestHandler):
    server_version = "SparkflowsEmulator/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: tests read /_emulator/requests instead
        pass

    @property
    def state(self):
        return self.server.state

    # -- plumbing ------------------------------------------------------------------------

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload=None, content_type="application/json", headers=None):
        if payload is None:
            data = b""
        elif isinstance(payload, bytes):
            data = payload
        elif content_type == "application/json":
            data = json.dumps(payload).encode()
        else:
            data = str(payload).encode()
        self._log_request(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _log_request(self, status):
        # Logged before answering, so a client that reads the log next always finds it.
        path = urlsplit(self.path).path
        if not path.startswith("/_emulator/"):
            with self.state.lock:
                self.state.requests.append({"method": self.command, "path": path, "status": status,
                                            "headers": sorted(name.lower() for name in self.headers)})

    def _user(self):
        token = self.headers.get("token")
        for name, (_password, user_token, _admin) in USERS.items():
            if token and token == user_token:
                return name
        cookie = self.headers.get("Cookie") or ""
        for part in cookie.split(";"):
            key, _sep, value = part.strip().partition("=")
            if key == "JSESSIONID" and value in self.state.sessions:
                return self.state.sessions[value]
        return None

    def _dispatch(self):
        url = urlsplit(self.path)
        path = url.path
        if path.startswith("/_emulator/"):
            return self._control(path)
        with self.state.lock:
            fail = self.state.faults["fail_next"].pop(0) if self.state.faults["fail_next"] else None
            html = self.state.faults["html"]
        if fail:
            return self._send(fail, {"error": "emulated failure"})
        if html:
            return self._send(200, b"<html><body>Sign in</body></html>", "text/html")
        if path == "/healthcheck" and self.command == "GET":
            return self._send(200, {"status": "UP"})
        if path == "/login" and self.command == "POST":
            return self._login()
        user = self._user()
        if user is None:
            return self._send(401, INVALID_TOKEN)
        return self._api(user, path, parse_qs(url.query))

    def do_GET(self):  # noqa: N802 - BaseHTTPRequestHandler's naming
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_HEAD = do_GET

    # -- endpoints -----------------------------------------------------------------------

    def _control(self, path):
        if path == "/_emulator/requests":
            with self.state.lock:
                return self._send(200, list(self.state.requests))
        if path == "/_emulator/sessions" and self.command == "GET":
            with self.state.lock:
                return self._send(200, list(self.state.sessions))
        if path == "/_emulator/faults" and self.command == "POST":
            faults = json.loads(self._body() or b"{}")
            with self.state.lock:
                self.state.faults.update(faults)
            return self._send(200, self.state.faults)
        if path == "/_emulator/reset" and self.command == "POST":
            with self.state.lock:
                self.state.requests = []
                self.state.faults = dict(NO_FAULTS)
                self.state.variants = dict(self.state.start_variants)
            return self._send(200, {})
        if path == "/_emulator/configurations":
            with self.state.lock:
                if self.command == "POST":
                    self.state.configurations.update(json.loads(self._body() or b"{}"))
                    self.state.save()
                return self._send(200, self.state.configurations)
        if path == "/_emulator/variant" and self.command == "POST":
            asked = json.loads(self._body() or b"{}")
            wrong = sorted(name for name, value in asked.items() if value not in VARIANTS.get(name, ()))
            if wrong:
                return self._send(400, {"error": "unknown variant", "message": ", ".join(wrong)})
            with self.state.lock:
                self.state.variants.update(asked)
            return self._send(200, self.state.variants)
        return self._send(404, {"error": "not_found"})

    def _login(self):
        form = parse_qs(self._body().decode())
        username = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        if username in USERS and USERS[username][0] == password:
            session = secrets.token_hex(16)
            with self.state.lock:
                self.state.sessions[session] = username
            return self._send(200, {"status": "ok"}, headers={"Set-Cookie": "JSESSIONID=%s; Path=/; HttpOnly" % session})
        return self._send(401, {"error": "unauthorized", "error_description": "Bad credentials"})

    def _api(self, user, path, query):
        is_admin = USERS[user][2]
        method = self.command
        variants = self.state.variants
        if method == "GET" and path == "/api/v1/app/release-info":
            key = {"release": "release", "version": "version", "unknown": "fireBuildVersion"}[variants["release_key"]]
            return self._send(200, {key: self.state.release, "build": "emulator", "sparkVersion": "3.2.1"})
        if method == "GET" and path == "/api/v1/main/about":
            return self._send(200, {"product": "Sparkflows (emulator)", "version": self.state.release})
        if method == "GET" and path == "/api/v1/users/user-info":
            return self._send(200, {"username": user, "admin": is_admin})
        if method == "GET" and path == "/api/v1/user/isAdmin/isSuperuser":
            return self._send(200, is_admin)
        if path == "/api/v1/configurations":
            if not is_admin:
                return self._send(403, {"error": "access_denied", "error_description": "Access is denied"})
            if method == "GET":
                with self.state.lock:
                    return self._send(200, configurations_answer(self.state.shown_configurations(),
                                                                 variants["config_shape"], self.state.config_id))
            if method == "POST":
                return self._save_configurations()
        if path == "/api/v1/configurations/infer" and method == "GET":
            if not is_admin:
                return self._send(403, {"error": "access_denied", "error_description": "Access is denied"})
            if variants["config_infer"] == "absent":
                return self._send(404, {"error": "Not Found", "path": path})
            with self.state.lock:
                return self._send(200, configurations_answer(self.state.shown_configurations(), "entities",
                                                             self.state.config_id))
        if method == "GET" and path.startswith("/api/v1/workflows/name/"):
            name = unquote(path[len("/api/v1/workflows/name/"):])
            if name not in WORKFLOWS:
                return self._send(404, {"error": "not_found", "message": "No workflow named %s" % name})
            return self._send(200, {"id": WORKFLOWS[name][0], "name": name})
        if method == "POST" and path == "/api/v1/workflow/execute":
            return self._execute()
        if method == "GET" and path.startswith("/api/v1/workflow-executions/") and path.endswith("/status"):
            return self._execution_status(path.split("/")[4])
        if method == "GET" and path == "/api/v1/mlmodel/OutputModels":
            models = self.state.models()
            if variants["model_versions"] == "string":
                models = [dict(model, version=str(model["version"])) for model in models]
            if variants["models_shape"] == "page":
                return self._send(200, {"content": models, "totalElements": len(models), "last": True,
                                        "number": 0, "size": len(models)})
            return self._send(200, models)
        download = DOWNLOAD.match(path)
        if download and method in ("GET", "HEAD"):
            return self._download(download.group("id"), download.group("file_type"))
        if method == "GET" and path.startswith("/api/v1/mlmodel/outputModelByModelUuid/"):
            uuid = path.rsplit("/", 1)[1]
            for model in self.state.models():
                if model["uuid"] == uuid:
                    return self._send(200, model)
            return self._send(404, {"error": "not_found", "message": "No model with uuid %s" % uuid})
        return self._send(404, {"error": "not_found", "message": "%s %s" % (method, path)})

    def _download(self, model_id, file_type):
        """The model file, streamed from disk, with ETag, If-None-Match, Range and faults."""
        ids = set(str(model["id"]) for model in self.state.models())
        path = os.path.join(self.state.models_dir or "", "%s.%s" % (model_id, file_type))
        if model_id not in ids or not self.state.models_dir or not os.path.isfile(path):
            return self._send(404, {"error": "not_found", "message": "No %s file for model %s" % (file_type, model_id)})
        with self.state.lock:
            faults = dict(self.state.faults)
            self.state.faults["drop_after"] = None  # one cut per injection
        if faults["html_download"]:
            return self._send(200, b"<html><body>Error 500: model store unavailable</body></html>", "text/html")
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            etag = '"%x-%x"' % (st.st_size, st.st_mtime_ns)
            start, status = 0, 200
            if self.headers.get("If-None-Match") == etag:
                self._log_request(304)
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            ranged = re.match(r"^bytes=(\d+)-$", self.headers.get("Range") or "")
            if ranged and not faults["no_ranges"] and self.headers.get("If-Range", etag) == etag:
                start, status = int(ranged.group(1)), 206
                if start >= st.st_size:
                    return self._send(416, {"error": "range_not_satisfiable"},
                                      headers={"Content-Range": "bytes */%d" % st.st_size})
            length = st.st_size - start
            self._log_request(status)
            self.send_response(status)
            self.send_header("Content-Type", "application/zip" if file_type == "zip" else "application/octet-stream")
            self.send_header("Content-Length", str(length))
            self.send_header("ETag", etag)
            if not faults["no_ranges"]:
                self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, st.st_size - 1, st.st_size))
            self.send_header("Content-Disposition", 'attachment; filename="model-%s.%s"' % (model_id, file_type))
            self.end_headers()
            if self.command == "HEAD":
                return None
            send = length if faults["drop_after"] is None else min(length, faults["drop_after"])
            self.wfile.flush()
            if send:
                self.connection.sendfile(f, start, send)
            if send < length:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
        return None

    def _save_configurations(self):
        variants = self.state.variants
        shape = "entities" if variants["config_infer"] != "absent" else variants["config_shape"]
        try:
            with self.state.lock:
                updates = configurations_posted(json.loads(self._body()), shape, self.state.config_id)
        except (ValueError, TypeError, KeyError, AttributeError):
            return self._send(400, {"error": "bad_request", "message": "expected the configurations as %s"
                                    % ("/infer answers them" if shape == "entities" and variants["config_infer"] != "absent"
                                       else "GET answers them")})
        with self.state.lock:
            if variants["unknown_keys"] == "drop":
                updates = dict((k, v) for k, v in updates.items() if k in DEFINED_KEYS or k in self.state.configurations)
            if variants["config_post"] == "replace":
                self.state.configurations = updates
            else:
                self.state.configurations.update(updates)
            self.state.save()
        return self._send(200, {"status": "saved", "count": len(updates)})

    def _execute(self):
        try:
            workflow_id = int(json.loads(self._body())["workflowId"])
        except (ValueError, TypeError, KeyError):
            return self._send(400, {"error": "bad_request", "message": "workflowId missing"})
        for _name, (wid, outcome, seconds) in WORKFLOWS.items():
            if wid == workflow_id:
                with self.state.lock:
                    execution = self.state.next_execution
                    self.state.next_execution += 1
                    self.state.executions[execution] = (time.monotonic() + seconds, outcome)
                return self._send(200, execution)
        return self._send(404, {"error": "not_found", "message": "No workflow with id %d" % workflow_id})

    def _execution_status(self, execution):
        try:
            done_at, outcome = self.state.executions[int(execution)]
        except (ValueError, KeyError):
            return self._send(404, {"error": "not_found", "message": "No execution %s" % execution})
        state = outcome if time.monotonic() >= done_at else "RUNNING"
        shape = self.state.variants["execution_status"]
        if shape == "code":
            return self._send(200, EXECUTION_CODES[state])
        if shape == "object":
            message = "Stage 2 of the workflow failed: column plan not found" if state == "FAILED" else None
            return self._send(200, {"status": state, "message": message})
        return self._send(200, state, "text/plain")


def configurations_answer(configurations, shape, config_id):
    """The configuration set as GET answers it in the shape of the config_shape variant."""
    items = sorted(configurations.items())
    entries = [{"name": k, "value": v} for k, v in items]
    if shape == "flat":
        return dict(items)
    if shape == "page":
        return {"content": entries, "totalElements": len(entries), "last": True, "number": 0, "size": len(entries)}
    if shape == "grouped":
        groups = {"MLOps": [], "General": []}
        for entry in entries:
            groups["MLOps" if entry["name"].startswith("mlops.") else "General"].append(entry)
        return groups
    if shape == "entities":
        return [{"id": config_id(k), "configKey": k, "configValue": v, "category": k.split(".")[0]} for k, v in items]
    return entries


def configurations_posted(body, shape, config_id):
    """{name: value} of a POST body in the shape named (for a page: a list of its entries); any
    other body raises (a 400). Values must be text, numbers, booleans or null; an entity's id
    must be the one of its key."""
    if shape == "flat":
        if not isinstance(body, dict):
            raise TypeError("flat")
        posted = dict((str(k), v) for k, v in body.items())
    elif shape == "grouped":
        if not isinstance(body, dict) or not all(isinstance(entries, list) for entries in body.values()):
            raise TypeError("grouped")
        posted = dict((item["name"], item["value"]) for entries in body.values() for item in entries)
    elif shape == "entities":
        if not isinstance(body, list):
            raise TypeError("entities")
        posted = {}
        for item in body:
            if "id" in item and item["id"] != config_id(item["configKey"]):
                raise ValueError("id %r is not the one of %s" % (item["id"], item["configKey"]))
            posted[item["configKey"]] = item["configValue"]
    else:
        if not isinstance(body, list):
            raise TypeError(shape)
        posted = dict((item["name"], item["value"]) for item in body)
    if not all(isinstance(key, str) and (value is None or isinstance(value, (str, int, float, bool)))
               for key, value in posted.items()):
        raise TypeError("values")
    return posted


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-file")
    parser.add_argument("--models-dir")
    parser.add_argument("--release", default=RELEASE)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE",
                        help="answer as this variant from the start (see VARIANTS)")
    args = parser.parse_args(argv)
    variants = dict(item.split("=", 1) for item in args.variant)
    wrong = sorted(name for name, value in variants.items() if value not in VARIANTS.get(name, ()))
    if wrong:
        parser.error("unknown variant %s; known: %s" % (", ".join(wrong), VARIANTS))

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.state_file, args.release, args.models_dir, variants)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print("READY %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
