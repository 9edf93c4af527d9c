"""pytest fixtures for the Docker scorer: the real registry (tests/lab/registry.sh) holding the test
scorer image (tests/scorer_image/) under two releases, containers removed after each test."""

import json
import os
import pathlib
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest

from utils.docker import docker
from utils.ports import free_port

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
REGISTRY_SH = REPO_ROOT / "tests" / "lab" / "registry.sh"
# registry.sh's default state (the lab's registry keeps its own under .lab/registry).
REGISTRY_STATE = REPO_ROOT / ".cache" / "registry"
RELEASES = ("3.1.0", "3.2.0")
SAMPLE = {"columns": ["age", "plan"], "data": [[42, "gold"], [31, "basic"]]}
# Scores every row 1, so a test can tell this model's answers from the default one's (0).
SCORE_ONES = "def score(rows):\n    return [1 for _ in rows]\n"
NEVER_READY = "READY = False\n\ndef score(rows):\n    return [0 for _ in rows]\n"


class Registry(object):
    def __init__(self, state, port, env):
        self.address = "127.0.0.1:%s" % port
        self.repository = self.address + "/sparkflows/scorer"
        self.username = "sfmlops-pull"
        self.password = (state / "password").read_text().strip()
        self.env = env  # registry.sh's, for stop()

    def forget_local(self, release):
        """Remove the host's copy of a release's image, so that the next run must pull it."""
        docker("image", "rm", "%s:%s" % (self.repository, release))

    def stop(self):
        """registry.sh down (its container and state), and this address's image tags: nothing
        of it stays on the machine after the tests."""
        down = subprocess.run([str(REGISTRY_SH), "down"], env=self.env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert down.returncode == 0, down.stderr
        for release in RELEASES:
            self.forget_local(release)


def start_registry():
    """tests/lab/registry.sh up (idempotent): the registry with the scorer image of RELEASES."""
    # One registry per pytest-xdist worker (tests/integration.sh runs two): its own container,
    # state and port, so that no worker replaces another's.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    suffix = "-" + worker if worker else ""
    state = pathlib.Path(os.environ.get("SFMLOPS_REGISTRY_STATE", str(REGISTRY_STATE) + suffix))
    # A port free on this machine unless one is given: never a fixed one a user's service may hold.
    port = os.environ.get("SFMLOPS_REGISTRY_PORT") or str(free_port())
    env = dict(os.environ, SFMLOPS_REGISTRY_STATE=str(state), SFMLOPS_REGISTRY_PORT=port,
               SFMLOPS_REGISTRY_NAME=os.environ.get("SFMLOPS_REGISTRY_NAME", "sfmlops-registry" + suffix),
               SFMLOPS_REGISTRY_RELEASES=" ".join(RELEASES))
    subprocess.run([str(REGISTRY_SH), "up"], check=True, timeout=600, env=env)
    return Registry(state, port, env)


@pytest.fixture(scope="session")
def scorer_registry():
    registry = start_registry()
    yield registry
    registry.stop()


@pytest.fixture
def container_name():
    """A unique scorer container name; it and its blue/green companions are removed afterwards."""
    name = "sfmlops-test-%s" % uuid.uuid4().hex[:8]
    yield name
    docker("rm", "-f", name, name + "-candidate", name + "-retired")


def scoring_request(port, payload=None, path="/predict"):
    """A scoring request (SAMPLE by default) to a scorer on loopback."""
    payload = SAMPLE if payload is None else payload
    return urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=json.dumps(payload).encode(),
                                  headers={"Content-Type": "application/json"}, method="POST")


def score(port, payload=None, path="/predict", timeout=5):
    """(status, decoded body) of one scoring request (SAMPLE by default) to a scorer on loopback."""
    try:
        with urllib.request.urlopen(scoring_request(port, payload, path), timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
