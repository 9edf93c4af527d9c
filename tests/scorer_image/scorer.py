"""A small stand-in for the Sparkflows scorer image, for tests only.

It loads the model mounted at MODEL_PATH (a Sparkflows model bundle: a zip, or the directory it
unpacks to, holding model_bundle/code/score.py), then answers:
  GET  /health   200 {"status": "UP", ...} once the model is loaded and ready, else 503
  POST /predict  pandas split-oriented JSON {"columns": [...], "data": [[...]]} -> {"predictions": [...]}
                 (500 with the error when score() raises)
A model that cannot be loaded makes it exit at start (status 2), as a broken model should; a bundle
whose score.py sets READY = False keeps it running but never healthy.
It answers in well under a millisecond (TCP_NODELAY, each answer in one write): a benchmark of a
balancer in front of it measures the balancer, not a delayed-ACK stall.
"""

import io
import json
import os
import signal
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_PATH = os.environ.get("MODEL_PATH", "/opt/sparkflows/model")
PORT = int(os.environ.get("SCORER_PORT", "8080"))
RELEASE = os.environ.get("SPARKFLOWS_RELEASE", "unknown")


def read_bundle(path):
    """score.py's source and the artifact names, from a zip file or an unpacked directory."""
    if os.path.isdir(path):
        base = os.path.join(path, "model_bundle")
        with open(os.path.join(base, "code", "score.py")) as handle:
            source = handle.read()
        artifacts = sorted(os.listdir(os.path.join(base, "artifacts")))
        return source, artifacts
    with zipfile.ZipFile(path) as archive:
        source = archive.read("model_bundle/code/score.py").decode()
        artifacts = sorted(n for n in archive.namelist() if n.startswith("model_bundle/artifacts/") and not n.endswith("/"))
        return source, artifacts


def load_model(path):
    source, artifacts = read_bundle(path)
    if not artifacts:
        raise ValueError("the bundle has no artifacts")
    namespace = {}
    exec(compile(source, "score.py", "exec"), namespace)
    if not callable(namespace.get("score")):
        raise ValueError("score.py defines no score(rows)")
    return namespace


class Handler(BaseHTTPRequestHandler):
    model = None
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        # Status line, headers and body in one write (one segment for a small answer).
        self._headers_buffer.append(b"\r\n")
        self.wfile.write(b"".join(self._headers_buffer) + data)
        self._headers_buffer = []

    def do_GET(self):
        if self.path != "/health":
            return self.send_json(404, {"error": "not found"})
        ready = self.model.get("READY", True)
        self.send_json(200 if ready else 503, {"status": "UP" if ready else "LOADING", "release": RELEASE})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.load(io.BytesIO(self.rfile.read(length)))
            rows = [dict(zip(body["columns"], row)) for row in body["data"]]
        except (ValueError, KeyError, TypeError) as error:
            return self.send_json(400, {"error": "expected split-oriented JSON: %s" % error})
        if self.path != "/predict":
            return self.send_json(404, {"error": "not found"})
        try:
            predictions = list(self.model["score"](rows))
        except Exception as error:  # a model that fails a request answers 500, as a scorer should
            return self.send_json(500, {"error": "scoring failed: %s" % error})
        self.send_json(200, {"predictions": predictions})

    def log_message(self, *args):
        pass


def main():
    try:
        Handler.model = load_model(MODEL_PATH)
    except Exception as error:  # any failure to load is fatal, with the reason in the log
        print("cannot load the model at %s: %s" % (MODEL_PATH, error), flush=True)
        return 2
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    # docker stop sends SIGTERM: finish the request in flight, then exit.
    signal.signal(signal.SIGTERM, lambda *_a: threading.Thread(target=server.shutdown).start())
    print("scoring on :%d (release %s)" % (PORT, RELEASE), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
