"""A stand-in scorer for the scorer_lb Molecule scenario (a test fixture): GET /health answers
200; POST /predict answers {"predictions": [0], "credentials_seen": [...]}, naming the
credential headers (X-API-Key, Authorization) that reached it - the balancer must remove them.
Usage: molecule-scorer-standin.py ADDRESS PORT."""

import http.server
import json
import sys

CREDENTIAL_HEADERS = ("X-API-Key", "Authorization")


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/health":
            self.answer(200, {"status": "UP"})
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/predict":
            self.answer(404, {"error": "not found"})
            return
        seen = [name for name in CREDENTIAL_HEADERS if name in self.headers]
        self.answer(200, {"predictions": [0], "credentials_seen": seen})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
