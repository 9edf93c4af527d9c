"""A STUB standing in for the Fire MLOps server of a Sparkflows distribution (proprietary):
it reads http.port from conf/application.properties and answers GET / with what it was given."""

import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
properties = {}
with open(os.path.join(HOME, "conf", "application.properties")) as f:
    for line in f:
        if "=" in line and not line.startswith("#"):
            key, value = line.strip().split("=", 1)
            properties[key] = value


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps({"service": "fire-mlops-stub", "properties": properties,
                           "tracking_uri": os.environ.get("MLFLOW_TRACKING_URI")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


HTTPServer(("0.0.0.0", int(properties["http.port"])), Handler).serve_forever()
