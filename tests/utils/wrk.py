"""Load from wrk (Debian's package): a run in the background against one URL, stopped when the
test is done with it (SIGINT: wrk stops and reports), read back as numbers - requests, socket
errors by kind, answers of status 400 and more, latency percentiles. Bounded in time."""

import json
import pathlib
import signal
import subprocess
import tempfile

from utils.lab import REPO_ROOT

SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
wrk.headers["Content-Type"] = "application/json"
%(headers)s
%(pace)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nWRK-RESULT {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def install():
    subprocess.run([str(REPO_ROOT / "tests" / "utils" / "apt-install.sh"), "wrk"], check=True, timeout=600)


def lua_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


class Wrk(object):
    """wrk -c connections on url, POSTing payload (a document) with headers, for at most
    limit_seconds, here or inside container (a lab host with wrk), each connection pausing
    pace_ms between requests (0: as fast as answered); start(), then stop() -> the numbers of
    the run, or run(seconds)."""

    def __init__(self, url, payload, headers=None, connections=4, threads=1, limit_seconds=900, container=None,
                 pace_ms=0):
        self.directory = pathlib.Path(tempfile.mkdtemp(prefix="sfmlops-wrk-"))
        script = self.directory / "load.lua"
        script.write_text(SCRIPT % dict(
            body=lua_string(json.dumps(payload)),
            headers="\n".join("wrk.headers[%s] = %s" % (lua_string(k), lua_string(v)) for k, v in (headers or {}).items()),
            # Each connection waits pace_ms before its next request (wrk times a request from its send).
            pace="delay = function() return %d end" % pace_ms if pace_ms else ""))
        self.container = container
        self.argv = (["docker", "exec", container] if container else []) + [
            "wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % limit_seconds, "--timeout", "10s", "-s", str(script), url]
        self.limit = limit_seconds
        self.process = None

    def _script_in_place(self):
        """Inside a container, the script is copied to the same path there."""
        if self.container:
            subprocess.run(["docker", "cp", str(self.directory), "%s:%s" % (self.container, self.directory)],
                           check=True, capture_output=True, timeout=60)

    def start(self):
        self._script_in_place()
        self.process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return self

    def stop(self):
        """Stop the run and read its numbers; a wrk that ended on its own is read as it is."""
        if self.process.poll() is None:
            if self.container:  # docker exec does not pass signals on: wrk is told in its container
                subprocess.run(["docker", "exec", self.container, "pkill", "-INT", "-x", "wrk"],
                               capture_output=True, timeout=60, check=False)
            else:
                self.process.send_signal(signal.SIGINT)
        output = self.process.communicate(timeout=60)[0]
        return numbers(output)

    def run(self, seconds):
        """A run of seconds, start to end."""
        self._script_in_place()
        argv = list(self.argv)
        argv[argv.index("-d%ds" % self.limit)] = "-d%ds" % seconds
        finished = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
        return numbers(finished.stdout + finished.stderr)


def numbers(output):
    """The WRK-RESULT line of a run's output, with socket_errors (connect, read, write, timeout)."""
    for line in output.splitlines():
        if line.startswith("WRK-RESULT "):
            result = json.loads(line[len("WRK-RESULT "):])
            result["socket_errors"] = sum(result[k] for k in ("connect", "read", "write", "timeout"))
            result["output"] = output
            return result
    raise AssertionError("wrk reported nothing:\n" + output)
