"""The scorer role through playbooks/scorers.yml: three scorer "hosts" (local connections sharing this
machine's Docker Engine, each with its own container prefix and port), models from the Sparkflows
emulator, the image from the real registry; a rolling update under continuous scoring load."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

import pytest
import yaml

from emulator.fixtures import ADMIN_TOKEN
from emulator.models import make_model_zip
from utils.playbook import REPO_ROOT
from utils.ports import free_port
from utils.docker import docker, inspect
from utils.scorer import SAMPLE, SCORE_ONES, score, scoring_request

HOSTS = ("scorer-a", "scorer-b", "scorer-c")
# Measured: 24 retried of 2520 requests over the 3 hosts (8 a host; CI: 23 of 3118), another
# test file running alongside; the bound leaves room for a slower machine, not for a gap a
# client would notice.
MAX_RETRIED_PER_HOST = 40


class Fleet(object):
    def __init__(self, tmp_path, emulator, registry, names=HOSTS):
        self.tmp_path = tmp_path
        self.ports = dict((host, free_port()) for host in names)
        self.prefix = "sfmlops-fleet-%d-" % os.getpid()
        self.containers = ["%s%s-churn" % (self.prefix, host) for host in names]
        hosts = {}
        for host in names:
            hosts[host] = {
                "ansible_connection": "local", "ansible_python_interpreter": sys.executable, "ansible_become": False,
                "scorer_container_prefix": "%s%s-" % (self.prefix, host),
                "scorer_models_dir": str(tmp_path / host / "models"),
                "scorer_history_dir": str(tmp_path / host / "history"),
                "scorer_models": [{"name": "churn", "model_id": 101, "host_port": self.ports[host]}],
            }
        group_vars = {
            "sparkflows_api_url": emulator.url, "sparkflows_api_token": ADMIN_TOKEN,
            "scorer_image": registry.repository, "scorer_registry_username": registry.username,
            "scorer_registry_password": registry.password, "scorer_bind_address": "127.0.0.1",
            "scorer_install_prerequisites": False, "scorer_sample": SAMPLE, "scorer_health_timeout": 60,
        }
        self.inventory = tmp_path / "inventory.yml"
        self.inventory.write_text(yaml.safe_dump({"all": {"children": {"scorers": {"hosts": hosts, "vars": group_vars}}}}))

    def run(self, *args, timeout=600, env=None):
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_DEPRECATION_WARNINGS="0", **(env or {}))
        command = ["ansible-playbook", "-i", str(self.inventory), os.path.join(REPO_ROOT, "playbooks", "scorers.yml"), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, check=False)


def recap(process):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP of the default callback."""
    totals = {}
    for line in process.stdout.split("PLAY RECAP")[-1].splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ":" and parts[2].startswith("ok="):
            totals[parts[0]] = dict((k, int(v)) for k, v in (p.split("=") for p in parts[2:]))
    return totals


def failures(process):
    """What a run said of each failure (a loop item's message scrolls out of the tail): each
    failed or fatal result, with the lines after it."""
    lines = process.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(("fatal: [", "failed: ["))]
    return "\n".join("\n".join(lines[i:i + 20])[:3000] for i in starts) + "\n...\n"


def remove_containers(made):
    docker("rm", "-f", *made.containers, *[c + "-candidate" for c in made.containers],
           *[c + "-retired" for c in made.containers])


@pytest.fixture
def fleet(tmp_path, emulator, scorer_registry):
    make_model_zip(emulator.models_dir / "101.zip")
    made = Fleet(tmp_path, emulator, scorer_registry)
    yield made
    remove_containers(made)


def post(port, timeout=5):
    """One scoring request: (status, body), or None when the connection failed before any
    answer - refused, or accepted and then closed or reset before the status line (what Docker's
    port proxy does while the scorer behind it stops). A balancer retries exactly those on
    another server (HAProxy's `retry-on conn-failure empty-response`, the scorer_lb role's
    setting); an error once the answer began, a timeout or a bad body raise."""
    try:
        response = urllib.request.urlopen(scoring_request(port), timeout=timeout)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, http.client.RemoteDisconnected, ConnectionError) as error:
        # urllib wraps the connect's and the send's errors in a URLError (its reason); the
        # status line's read raises RemoteDisconnected (closed) or ConnectionResetError.
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(reason, (ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
                               http.client.RemoteDisconnected)):
            return None
        raise
    with response:
        return response.status, json.loads(response.read())


class Load(threading.Thread):
    """Continuous scoring across the fleet, as a client-side balancer would: a connection that
    failed before any answer (`post`) is retried on the next scorer and counted for that
    scorer's port; a request fails when no scorer answers it, when a scorer answers with an
    error, or when its connection times out or breaks once the answer began (a client notices
    those: a hanging scorer is a failure, not a retry). Bounded in time; an exception inside
    the thread is kept (`error`) for the test to fail on."""

    def __init__(self, ports, limit_seconds=600):
        super().__init__(daemon=True)
        self.ports = list(ports)
        self.limit = time.monotonic() + limit_seconds
        self.stop = threading.Event()
        self.sent = self.failed = 0
        self.retried_by_port = dict((port, 0) for port in self.ports)
        self.failures = []  # why each failed request failed: "PORT: error or status"
        self.answers = set()
        self.error = None

    @property
    def retried(self):
        """Requests retried on another scorer, every port's together."""
        return sum(self.retried_by_port.values())

    def one(self, start):
        for attempt in range(len(self.ports)):
            port = self.ports[(start + attempt) % len(self.ports)]
            try:
                answer = post(port)
            except (OSError, http.client.HTTPException, ValueError) as error:
                # OSError: timeouts, resets once the answer began; HTTPException: a broken
                # answer; ValueError: a 200 whose body is no JSON.
                self.failures.append("%d: %r" % (port, error))
                return False
            if answer is None:
                self.retried_by_port[port] += 1
                continue
            status, body = answer
            if status == 200:
                self.answers.add(tuple(body["predictions"]))
                return True
            self.failures.append("%d: HTTP %d %s" % (port, status, str(body)[:200]))
            return False
        self.failures.append("no scorer answered")
        return False

    def run(self):
        try:
            while not self.stop.is_set() and time.monotonic() < self.limit:
                if not self.one(self.sent):
                    self.failed += 1
                self.sent += 1
                time.sleep(0.01)
        except Exception:  # pylint: disable=broad-exception-caught  # reported by the test
            self.error = traceback.format_exc()

    def finish(self):
        """Stop, wait (bounded) and fail when the thread died or is stuck."""
        self.stop.set()
        self.join(timeout=30)
        assert not self.is_alive(), "the load thread did not stop within 30 s"
        assert self.error is None, "the load thread died:\n" + self.error


def test_rolling_update_under_load_fails_no_request(fleet, emulator, scorer_registry):
    first = fleet.run()
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert all(score(port) == (200, {"predictions": [0, 0]}) for port in fleet.ports.values())
    labels = inspect(fleet.containers[0])["Config"]["Labels"]
    assert (labels["io.sparkflows.release"], labels["io.sparkflows.model.id"]) == ("3.1.0", "101")

    again = fleet.run()
    assert again.returncode == 0, again.stdout[-3000:]
    assert all(totals["changed"] == 0 for totals in recap(again).values()), recap(again)
    # One part of the role by its tag: validated first (the deploy needs the release it reads).
    deploy_only = fleet.run("--tags", "scorer_deploy")
    assert deploy_only.returncode == 0, deploy_only.stdout[-3000:]
    assert all(totals["changed"] == 0 for totals in recap(deploy_only).values()), recap(deploy_only)

    # A new model file for 101 on the server: every scorer must move to it, one host at a time.
    make_model_zip(emulator.models_dir / "101.zip", score_py=SCORE_ONES)
    checked = fleet.run("--check", "--diff", "-vvv")
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert all(totals["changed"] == 1 for totals in recap(checked).values()), recap(checked)
    # What would change is shown for every host; the registry password and the API token never.
    assert checked.stdout.count("+++ after") >= len(HOSTS), checked.stdout[-3000:]
    assert scorer_registry.password not in checked.stdout + checked.stderr
    assert ADMIN_TOKEN not in checked.stdout + checked.stderr
    assert all(score(port) == (200, {"predictions": [0, 0]}) for port in fleet.ports.values())

    load = Load(fleet.ports.values())
    load.start()
    try:
        rolled = fleet.run()
    finally:
        load.finish()
    assert rolled.returncode == 0, rolled.stdout[-3000:]
    # The hosts went one at a time: serial 1 gives each its own play batch.
    assert rolled.stdout.count("PLAY [Standalone Docker scorers]") == len(HOSTS)
    print("rolling update: %d requests, %d failed, %d retried on another scorer (no answer)"
          % (load.sent, load.failed, load.retried))
    assert load.sent > 100 and load.failed == 0, load.failures[:10]
    # Each host's blue/green switch leaves its port unanswered for a moment, no longer: a retried
    # request is a client that notices (the load-balanced endpoint makes these zero).
    assert load.retried <= MAX_RETRIED_PER_HOST * len(HOSTS), "%d retried requests" % load.retried
    assert set(load.retried_by_port) == set(fleet.ports.values())
    assert all(count <= MAX_RETRIED_PER_HOST for count in load.retried_by_port.values()), \
        "retried requests by scorer port, at most %d each: %s" % (MAX_RETRIED_PER_HOST, load.retried_by_port)
    assert load.answers == {(0, 0), (1, 1)}
    assert all(score(port) == (200, {"predictions": [1, 1]}) for port in fleet.ports.values())


def test_a_run_asks_sparkflows_once_for_every_host_and_no_op_hosts_never_roll(tmp_path, emulator, scorer_registry,
                                                                              request):
    """Eight scorer hosts: Sparkflows is asked for the release and the model's record once for all
    of them (at most 2 + 2 x models requests; the model file is downloaded by each host that
    needs it), and a run with nothing to change rolls no host: the serial play has none."""
    make_model_zip(emulator.models_dir / "101.zip")
    names = tuple("scorer-%d" % number for number in range(1, 9))
    eight = Fleet(tmp_path, emulator, scorer_registry, names)
    request.addfinalizer(lambda: remove_containers(eight))

    # Eight scorers start at once on the machine's cores, beside the other tests (and Molecule in
    # make test): more time for each health gate than the fleet's 60 s.
    first = eight.run("-e", "scorer_serial=8", "-e", "scorer_health_timeout=180")
    assert first.returncode == 0, failures(first) + first.stdout[-3000:]
    asked = [r for r in emulator.requests() if not r["path"].startswith("/_emulator")]
    downloads = [r for r in asked if r["method"] == "GET" and "/download/" in r["path"]]
    assert len(downloads) == len(names), asked
    assert len(asked) - len(downloads) <= 2 + 2 * 1, asked
    assert all(score(port) == (200, {"predictions": [0, 0]}) for port in eight.ports.values())
    # The plan, shown once for every host: each rolls, and why.
    said = " ".join(first.stdout.split())
    assert all("%s rolls; churn: its model file is missing or not the record in Sparkflows" % host in said for host in names), \
        first.stdout[-3000:]

    emulator.control("reset", {})
    again = eight.run()
    assert again.returncode == 0, again.stdout[-3000:]
    assert all(totals["changed"] == 0 for totals in recap(again).values()) and len(recap(again)) == len(names)
    asked = [(r["method"], r["path"]) for r in emulator.requests() if not r["path"].startswith("/_emulator")]
    # The release, the model list and a HEAD of the model's file: nothing per host.
    assert len(asked) <= 2 + 2 * 1, asked
    assert "8 of 8 scorer hosts do not roll (verified in place): " + ", ".join(names) in " ".join(again.stdout.split())
    assert "PLAY [Standalone Docker scorers] ***" in again.stdout
    assert "skipping: no hosts matched" in again.stdout.split("PLAY [Standalone Docker scorers] ***")[1], \
        again.stdout[-3000:]


def test_release_mismatch_is_refused_before_anything_changes(fleet):
    refused = fleet.run("-e", "scorer_image_tag=3.2.0")
    assert refused.returncode != 0
    assert "scorer_image_tag 3.2.0 does not match Sparkflows release 3.1.0 (expected tag 3.1.0); nothing was changed" \
        in " ".join(refused.stdout.split())
    assert not any((fleet.tmp_path / host / "models").exists() for host in HOSTS)
    assert not any(inspect(name) for name in fleet.containers)


def test_two_models_on_one_port_are_refused(fleet):
    models = [{"name": "churn", "model_id": 101, "host_port": 18999}, {"name": "upsell", "model_id": 102, "host_port": 18999}]
    refused = fleet.run("-e", json.dumps({"scorer_models": models}))
    assert refused.returncode != 0
    # Every host's problems in one message, each naming its host.
    said = " ".join(refused.stdout.split())
    assert all("%s: Two scorers would share a name or a host port" % host in said for host in HOSTS), said[-3000:]
    assert not any((fleet.tmp_path / host / "models").exists() for host in HOSTS)


def test_limits_the_engine_would_refuse_are_named_before_anything_changes(fleet):
    # As the shell gives them: the first host would otherwise be replaced before the engine refused.
    refused = fleet.run("-e", "scorer_memory=lots", "-e", "scorer_cpus=-1")
    assert refused.returncode != 0
    said = " ".join(refused.stdout.split())
    assert "scorer_memory must be a size such as 512m or 2g (empty for none), got lots" in said, said[-3000:]
    assert "scorer_cpus must be 0 (no limit) or more CPUs, got -1.0" in said and "Nothing was changed" in said
    assert not any((fleet.tmp_path / host / "models").exists() for host in HOSTS)
    assert not any(inspect(name) for name in fleet.containers)


def test_settings_removed_from_the_inventory_are_removed_from_the_scorer(fleet):
    # Memory, CPUs and an env entry set once, then dropped one kind at a time (each drop alone
    # recreates the container, which would hide the other): the scorer must lose them.
    threads = {"scorer_env": {"SCORER_THREADS": "2"}}
    limited = fleet.run("--limit", "scorer-a", "-e", json.dumps(dict(threads, scorer_memory="512m", scorer_cpus="0.5")))
    assert limited.returncode == 0, limited.stdout[-3000:]
    host = inspect(fleet.containers[0])["HostConfig"]
    assert (host["Memory"], host["CpuQuota"]) == (512 << 20, 50000)

    unlimited = fleet.run("--limit", "scorer-a", "-e", json.dumps(threads))
    assert unlimited.returncode == 0, unlimited.stdout[-3000:]
    now = inspect(fleet.containers[0])
    assert (now["HostConfig"]["Memory"], now["HostConfig"]["CpuQuota"], now["HostConfig"]["NanoCpus"]) == (0, 0, 0)
    assert "SCORER_THREADS=2" in now["Config"]["Env"]

    plain = fleet.run("--limit", "scorer-a")
    assert plain.returncode == 0, plain.stdout[-3000:]
    assert not [e for e in inspect(fleet.containers[0])["Config"]["Env"] if e.startswith("SCORER_THREADS=")]
    assert score(fleet.ports["scorer-a"]) == (200, {"predictions": [0, 0]})
    again = fleet.run("--limit", "scorer-a")
    assert recap(again)["scorer-a"]["changed"] == 0, again.stdout[-3000:]


def test_a_missing_sparkflows_connection_is_named_before_anything_changes(fleet):
    refused = fleet.run("-e", "sparkflows_api_url=")
    assert refused.returncode != 0
    assert "sparkflows_api_url is not set: the URL of the Sparkflows server" in " ".join(refused.stdout.split())
    assert not any((fleet.tmp_path / host / "models").exists() for host in HOSTS)
    assert not any(inspect(name) for name in fleet.containers)


def test_env_secrets_reach_the_scorer_and_are_never_shown(fleet):
    # As AWX injects a credential's extra vars (-e @file): a secret-looking name, a plain name
    # listed in scorer_secret_env, and a model's own env; one host, at -vvv with --diff, then
    # through the JSON callback (AWX job events are built from the same results).
    secrets = dict((name, "sfmlops-%s-%d-%s" % (name.lower(), os.getpid(), HOSTS[0])) for name in
                   ("DB_PASSWORD", "FEATURE_STORE_DSN", "MODEL_STORE_TOKEN"))
    models = [{"name": "churn", "model_id": 101, "host_port": fleet.ports[HOSTS[0]],
               "env": {"MODEL_STORE_TOKEN": secrets["MODEL_STORE_TOKEN"]}}]
    credentials = fleet.tmp_path / "credential-extravars.yml"
    credentials.write_text(yaml.safe_dump({
        "scorer_env": {"DB_PASSWORD": secrets["DB_PASSWORD"], "FEATURE_STORE_DSN": secrets["FEATURE_STORE_DSN"],
                       "SCORER_THREADS": "2"},
        "scorer_secret_env": ["FEATURE_STORE_DSN"], "scorer_models": models}))

    verbose = fleet.run("--limit", HOSTS[0], "-e", "@%s" % credentials, "-vvv", "--diff")
    shown = verbose.stdout + verbose.stderr
    assert verbose.returncode == 0, verbose.stdout[-3000:] + verbose.stderr[-2000:]
    # The values reached the scorer.
    env = inspect(fleet.containers[0])["Config"]["Env"]
    assert all("%s=%s" % item in env for item in secrets.items()) and "SCORER_THREADS=2" in env, env
    # The module was given them (what is hidden is there to hide), and showed none of them.
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in shown and '"SCORER_THREADS": "2"' in shown, shown[-3000:]
    assert "+++ after" in shown
    assert [name for name, value in secrets.items() if value in shown] == [], shown[-3000:]

    as_json = fleet.run("--limit", HOSTS[0], "-e", "@%s" % credentials, "-vvv",
                        env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_SHOW_CUSTOM_STATS": "1"})
    shown = as_json.stdout + as_json.stderr
    assert as_json.returncode == 0, shown[-3000:]
    assert '"plays"' in as_json.stdout and '"SCORER_THREADS": "2"' in shown, shown[-3000:]
    # The rollout plan is the run's stats (an AWX job's artifacts), without a secret (checked below).
    stats = json.loads(as_json.stdout[as_json.stdout.index("{"):])["global_custom_stats"]
    assert stats["sparkflows_rollout_plan"]["hosts"][HOSTS[0]]["keep"] == ["churn"], stats
    assert [name for name, value in secrets.items() if value in shown] == [], shown[-3000:]
