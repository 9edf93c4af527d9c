"""One secured URL per model (role scorer_lb on two lab balancers, lb1 and lb2, in front of two
scorer hosts): TLS 1.2+ only, API key or basic auth, the same configuration on every balancer,
scorers reachable from the balancers only; rollouts, canaries and rollbacks through the balancers
under wrk load on each balancer's URL with no failed request; a failing canary stopped; a model
removed from the inventory removed everywhere. A lab of its own (tests/lab/lab.sh, with a second
balancer), as `make lab` brings one up."""

import base64
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from emulator.models import make_model_zip
from emulator.sparkflows_emulator import MODELS as EMULATOR_MODELS
from utils.docker import docker
from utils.examples import example_tasks
from utils.lab import Lab, all_vars, http_reply, lb_vars, scorer_vars, ssh_vars, typed_as_text
from utils.rulebook import running_collection_rulebook
from utils.scorer import NEVER_READY
from utils.wrk import Wrk, install as install_wrk

SAMPLE = {"columns": ["age", "plan"], "data": [[42, "gold"]]}
USER = {"name": "scoring-app", "password": "a-basic-auth-password-of-the-lab"}


def scores(value):
    return "def score(rows):\n    return [%d for _ in rows]\n" % value


# Fails about half of its requests (a 500 from the scorer), alternately: a bad new model.
FAILING = ("import itertools\n_calls = itertools.count()\n\n"
           "def score(rows):\n    if next(_calls) % 2:\n        raise ValueError('half of the requests fail')\n"
           "    return [9 for _ in rows]\n")
# Answers every request, each after 300 ms: a slow new model.
SLOW = "import time\n\ndef score(rows):\n    time.sleep(0.3)\n    return [8 for _ in rows]\n"


class Endpoint(object):
    """The lab, its inventory (lb1 and lb2 in scorer_lbs, scorer1 and scorer2 in scorers) and
    churn-model's URL on each balancer (url: lb1's)."""

    def __init__(self, lab):
        self.lab = lab
        state = lab.state
        self.api_key = (state / "scorer-api-key").read_text().strip()
        self.ca = str(state / "ca" / "ca.crt")
        self.urls = dict((lb, "https://127.0.0.1:%d/predict" % port) for lb, port in zip(lab.balancers, lab.lb_ports))
        self.url = self.urls["lb1"]
        self.inventory = state.parent / "hosts.json"
        scorers = dict((host, {"ansible_port": lab.ports[host]}) for host in ("scorer1", "scorer2"))
        self.inventory.write_text(json.dumps({"all": {
            "children": {
                "scorers": {"hosts": scorers, "vars": scorer_vars(state)},
                "scorer_lbs": {"hosts": dict((lb, {"ansible_port": lab.ports[lb]}) for lb in lab.balancers),
                               "vars": dict(lb_vars(state), scorer_lb_users=[USER])},
            },
            "vars": dict(ssh_vars(state), **all_vars()),
        }}))

    def run(self, playbook, *args):
        return self.lab.playbook(self.inventory, playbook, *args)

    def score(self, headers=None, url=None):
        context = ssl.create_default_context(cafile=self.ca)
        request = urllib.request.Request(url or self.url, method="POST", data=json.dumps(SAMPLE).encode(),
                                         headers=dict({"Content-Type": "application/json"}, **(headers or {})))
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    def predictions_on(self, host, balancer="lb1"):
        """What the scorer on host answers, asked from a balancer (the only hosts it lets in)."""
        asked = docker("exec", self.lab.container(balancer), "python3", "-c",
                       "import json, urllib.request; r = urllib.request.Request('http://%s:8081/predict', "
                       "data=json.dumps(%r).encode(), headers={'Content-Type': 'application/json'}); "
                       "print(urllib.request.urlopen(r, timeout=10).read().decode())" % (host, SAMPLE))
        assert asked.returncode == 0, asked.stderr
        return json.loads(asked.stdout)["predictions"]

    def publish(self, score_py):
        """A new file of model 101 in the lab's Sparkflows model repository (the emulator's)."""
        make_model_zip(self.lab.state / "sparkflows" / "models" / "101.zip", score_py=score_py)

    def load(self):
        """wrk on each balancer's URL (it does not check certificates; score() does): 2
        connections each (4 in all), each pausing 40 ms between requests - about a hundred a
        second, every moment of a rollout covered (a connection waits at most 40 ms for its next
        request), without taking the cores the playbook and the rest of the suite need (at 10 ms,
        four times as many requests, this file's hosts took a quarter more CPU)."""
        return dict((lb, Wrk(url, SAMPLE, headers={"X-API-Key": self.api_key}, connections=2, pace_ms=40).start())
                    for lb, url in self.urls.items())

    def history(self, host):
        out = docker("exec", self.lab.container(host), "cat", "/var/lib/sparkflows-scorer/deployments.jsonl")
        return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    install_wrk()
    state = tmp_path_factory.mktemp("endpoint") / "state"
    lab = Lab("sfmlops-itest-endpoint", state, balancers=2)
    up = lab.lab_sh("up")
    try:
        assert up.returncode == 0, up.stderr
        made = Endpoint(lab)
        first = made.run("scorers.yml")
        assert first.returncode == 0, first.stdout[-5000:]
        yield made
    finally:
        lab.lab_sh("down")


def recap(process):
    """{host: changed} of the PLAY RECAP."""
    totals = {}
    for line in process.stdout.split("PLAY RECAP")[-1].splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ":":
            totals[parts[0]] = int(parts[3].split("=")[1])
    return totals


def test_every_balancer_has_the_same_configuration_and_serves_the_url(endpoint):
    configs = [docker("exec", endpoint.lab.container(lb), "cat", "/etc/haproxy/haproxy.cfg").stdout
               for lb in endpoint.lab.balancers]
    assert "backend scorer_churn-model" in configs[0] and configs[1:] == configs[:1]
    for url in endpoint.urls.values():
        assert endpoint.score({"X-API-Key": endpoint.api_key}, url=url) == (200, {"predictions": [0]})


def test_the_url_takes_a_key_or_a_user_and_nothing_else(endpoint):
    assert endpoint.score({"X-API-Key": endpoint.api_key}) == (200, {"predictions": [0]})
    token = base64.b64encode(("%s:%s" % (USER["name"], USER["password"])).encode()).decode()
    assert endpoint.score({"Authorization": "Basic " + token}) == (200, {"predictions": [0]})
    # Without credentials, with a wrong key or a wrong password: 401 and the basic challenge.
    for headers in ({}, {"X-API-Key": endpoint.api_key[:-1] + "x"},
                    {"Authorization": "Basic " + base64.b64encode(b"scoring-app:wrong").decode()}):
        status, answer = endpoint.score(headers)
        assert status == 401, (headers, status)
        assert answer.get("www-authenticate", answer.get("WWW-Authenticate", "")).startswith("Basic realm="), answer


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")  # asked for on purpose
def test_plain_http_and_old_tls_are_refused(endpoint):
    port = endpoint.lab.lb_port
    # Plain HTTP on the URL's port gets no HTTP answer: the balancer speaks TLS only there.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:
        plain.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        plain.settimeout(10)
        try:
            answer = plain.recv(1024)
        except ConnectionError:
            answer = b""
    assert not answer.startswith(b"HTTP/"), answer
    # TLS 1.0 and 1.1 are refused by the balancer (the client allows them, at security level 0);
    # TLS 1.2 is taken from the same client.
    for version, taken in ((ssl.TLSVersion.TLSv1, False), (ssl.TLSVersion.TLSv1_1, False), (ssl.TLSVersion.TLSv1_2, True)):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(endpoint.ca)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = context.maximum_version = version
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    negotiated = tls.version()
        except (ssl.SSLError, ConnectionError) as error:
            negotiated = "refused: %s" % error
        assert (negotiated == {ssl.TLSVersion.TLSv1_2: "TLSv1.2"}.get(version)) is taken, (version, negotiated)


def test_the_scorers_take_connections_from_the_balancer_only(endpoint):
    lab = endpoint.lab
    # From this machine (the lab's published scoring ports) and from another lab host: reset.
    for port in lab.scorer_ports:
        assert http_reply(port) == b"", port
    other = docker("exec", lab.container("mlflow1"), "python3", "-c",
                   "import socket; socket.create_connection(('scorer1', 8081), timeout=10)")
    assert other.returncode != 0 and "ConnectionRefusedError" in other.stderr, other.stderr
    # From either balancer: the scorers answer.
    for balancer in endpoint.lab.balancers:
        assert endpoint.predictions_on("scorer1", balancer) == endpoint.predictions_on("scorer2", balancer) == [0]


def test_a_second_run_changes_nothing(endpoint):
    """Nothing changes, and the balancers' certificates are read on the hosts: nothing is signed
    on the controller, each balancer serves the certificate it had."""
    served = dict((lb, certificate(endpoint, lb)) for lb in endpoint.lab.balancers)
    again = endpoint.run("scorers.yml")
    assert again.returncode == 0, again.stdout[-4000:]
    assert recap(again) == {"lb1": 0, "lb2": 0, "scorer1": 0, "scorer2": 0}, recap(again)
    assert not [lb for lb in endpoint.lab.balancers if "[%s -> localhost]" % lb in again.stdout], again.stdout[-4000:]
    assert dict((lb, certificate(endpoint, lb)) for lb in endpoint.lab.balancers) == served


def certificate(endpoint, balancer="lb1"):
    """(serial, subjectAltName) of the certificate a balancer serves."""
    out = docker("exec", endpoint.lab.container(balancer), "openssl", "x509", "-noout", "-serial", "-ext",
                 "subjectAltName", "-in", "/etc/haproxy/sparkflows/scorer_lb.pem")
    assert out.returncode == 0, out.stderr
    serial, _title, names = out.stdout.strip().splitlines()
    return serial, names.strip()


def test_the_certificate_is_issued_again_only_when_it_must_be(endpoint):
    """New names, or a certificate within its renewal window, are signed for again (a converged
    run signs nothing: test_a_second_run_changes_nothing); the names given back, and the next
    run changes nothing."""
    names = lb_vars(endpoint.lab.state)["scorer_lb_tls_names"]
    first = certificate(endpoint)
    more = endpoint.run("scorer_lb.yml", "--limit", "lb1", "-e", json.dumps({"scorer_lb_tls_names": names + ["DNS:extra.lab"]}))
    assert more.returncode == 0, more.stdout[-4000:]
    serial, more_names = certificate(endpoint)
    assert serial != first[0] and more_names == first[1] + ", DNS:extra.lab"
    back = endpoint.run("scorer_lb.yml", "--limit", "lb1")
    assert back.returncode == 0 and certificate(endpoint)[1] == first[1], back.stdout[-4000:]
    serial = certificate(endpoint)[0]
    # Within 400 days of its expiry (it is valid for 365): renewed.
    renewed = endpoint.run("scorer_lb.yml", "--limit", "lb1", "-e", "scorer_lb_tls_renew_days=400")
    assert renewed.returncode == 0 and certificate(endpoint)[0] != serial, renewed.stdout[-4000:]
    again = endpoint.run("scorer_lb.yml", "--limit", "lb1")
    assert again.returncode == 0 and recap(again) == {"lb1": 0}, again.stdout[-4000:]
    assert endpoint.score({"X-API-Key": endpoint.api_key}) == (200, {"predictions": [0]})


def rollout(endpoint, *args):
    """A playbook run (-v: each task's actions shown) under wrk on each balancer's URL: (process,
    wrk's numbers: requests, socket errors and answers >= 400 summed over the balancers, each
    balancer's output)."""
    loads = endpoint.load()
    try:
        process = endpoint.run(*args, "-v")
    finally:
        each = dict((lb, load.stop()) for lb, load in loads.items())
    for lb, numbers in each.items():
        print("%s %s, %s: %d requests, %d socket errors, %d answers >= 400, p99 %.1f ms" % (
            args[0], " ".join(args[1:]), lb, numbers["requests"], numbers["socket_errors"], numbers["status"],
            numbers["p99_us"] / 1000.0))
    summed = dict((key, sum(numbers[key] for numbers in each.values())) for key in ("requests", "socket_errors", "status"))
    return process, dict(summed, output="\n".join(numbers["output"] for numbers in each.values()),
                         least=min(numbers["requests"] for numbers in each.values()))


def on_every_balancer(endpoint, process, text):
    """Whether every balancer's task result (-v: one line per loop item, item=<balancer>) says text."""
    lines = process.stdout.splitlines()
    return all(any("(item=%s)" % lb in line and text in line for line in lines) for lb in endpoint.lab.balancers)


def test_rollout_canary_and_rollback_fail_no_request(endpoint):
    # A new model file on the server: every host drained, replaced, back; wrk sees no failure.
    endpoint.publish(scores(1))
    rolled, load = rollout(endpoint, "scorers.yml")
    assert rolled.returncode == 0, rolled.stdout[-5000:]
    assert (load["socket_errors"], load["status"]) == (0, 0) and load["least"] > 200, load["output"]
    assert on_every_balancer(endpoint, rolled, "scorer_churn-model/scorer1: maint"), rolled.stdout[-5000:]
    assert on_every_balancer(endpoint, rolled, "scorer_churn-model/scorer2: maint"), rolled.stdout[-5000:]
    assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [1]

    # The same with a canary: scorer1 first, at a tenth of the weight, judged, then scorer2.
    endpoint.publish(scores(2))
    canaried, load = rollout(endpoint, "scorers.yml", "-e", "scorer_canary=true", "-e", "scorer_canary_window=5")
    assert canaried.returncode == 0, canaried.stdout[-5000:]
    assert (load["socket_errors"], load["status"]) == (0, 0) and load["least"] > 200, load["output"]
    assert "Canary scorer1:" in canaried.stdout and "passed" in canaried.stdout.split("Canary scorer1:")[1][:300]
    assert on_every_balancer(endpoint, canaried, "scorer_churn-model/scorer1: weight 10"), canaried.stdout[-5000:]
    assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [2]

    # A slow model: every answer right, each after 300 ms. The canary (which served thousands of
    # fast requests before) is judged by its window's own response time and stopped, scorer1
    # returning to the model it ran, scorer2 never changed. (A model failing its requests is
    # stopped at the canary the same way: the rulebook's test below.)
    endpoint.publish(SLOW)
    slow, load = rollout(endpoint, "scorers.yml", "-e", "scorer_canary=true", "-e", "scorer_canary_window=5",
                         "-e", "scorer_canary_max_response_ms=150")
    assert slow.returncode != 0
    said = " ".join(slow.stdout.split())
    assert "The canary scorer1 failed its 5 s window: average response time" in said, said[-3000:]
    assert "no other host was changed" in said
    assert (load["socket_errors"], load["status"]) == (0, 0), load["output"]
    assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [2]
    assert [r["outcome"] for r in endpoint.history("scorer1")][-2:] == ["canary_failed", "rolled_back"]
    assert [r["outcome"] for r in endpoint.history("scorer2")][-1] == "deployed"

    # Previewed first, every boolean and number given as text (as the shell and AWX give them).
    given = json.loads(endpoint.inventory.read_text())["all"]["children"]
    previewed = endpoint.run("rollback.yml", "--check", *typed_as_text(
        ("scorer", "scorer_lb"), dict(given["scorers"]["vars"], **given["scorer_lbs"]["vars"])))
    assert previewed.returncode == 0, previewed.stdout[-4000:]
    assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [2]
    # Rollback: both hosts return to the version before the current one (1), through the drain path.
    rolled_back, load = rollout(endpoint, "rollback.yml")
    assert rolled_back.returncode == 0, rolled_back.stdout[-5000:]
    assert (load["socket_errors"], load["status"]) == (0, 0) and load["least"] > 100, load["output"]
    assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [1]
    assert [r["outcome"] for r in endpoint.history("scorer2")][-1] == "rolled_back"


def test_the_report_shows_versions_balancers_and_deployments(endpoint, tmp_path):
    written = endpoint.run("report.yml", "-e", "report_dir=%s" % tmp_path)
    assert written.returncode == 0, written.stdout[-4000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["red"] == [], report["red"]
    for balancer in endpoint.lab.balancers:
        servers = report["balancers"][balancer]["servers"]
        assert sorted((s["backend"], s["server"], s["status"]) for s in servers) == [
            ("scorer_churn-model", "scorer1", "UP"), ("scorer_churn-model", "scorer2", "UP")], balancer
    scorer = report["scorers"]["scorer1"][0]
    assert scorer["previous"] and len(scorer["previous"]["model_sha256"]) == 12
    assert report["deployments"]["scorer1"] and report["deployments"]["scorer1"][0]["actor"]
    html = (tmp_path / "report.html").read_text()
    assert "Balancers" in html and "Last deployments" in html and "previous version" in html


def lb_servers(endpoint, balancer="lb1"):
    """{server: whether it is out of rotation (maintenance forced)} of churn-model's backend on a
    balancer, from its runtime API."""
    read = docker("exec", endpoint.lab.container(balancer), "sh", "-c",
                  "echo 'show servers state scorer_churn-model' | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock")
    rows = [line.split() for line in read.stdout.splitlines()[2:] if line.strip()]
    return dict((row[3], bool(int(row[6]) & 1)) for row in rows)  # srv_name: srv_admin_state bit 1


def test_a_host_that_fails_stays_out_and_no_other_is_touched(endpoint):
    # A model that never gets ready: scorer1's candidate fails its health gate (the old scorer
    # keeps running), the host stays out of rotation with a clear message, scorer2 is untouched,
    # and the URL keeps answering from scorer2.
    endpoint.publish(NEVER_READY)
    failed, load = rollout(endpoint, "scorers.yml", "-e", "scorer_health_timeout=8")
    assert failed.returncode != 0
    said = " ".join(failed.stdout.split())
    assert "scorer1 stays out of the rotation of lb1, lb2; no further host was touched" in said, said[-3000:]
    assert (load["socket_errors"], load["status"]) == (0, 0), load["output"]
    assert lb_servers(endpoint, "lb1") == lb_servers(endpoint, "lb2") == {"scorer1": True, "scorer2": False}
    assert endpoint.predictions_on("scorer2") == [1]
    assert [r["outcome"] for r in endpoint.history("scorer1")][-1] == "failed"
    assert endpoint.score({"X-API-Key": endpoint.api_key}) == (200, {"predictions": [1]})
    # While scorer1 is out, no other host is taken out (it would leave the model without servers).
    refused = endpoint.run("scorers.yml", "--limit", "scorer2", "-e", "scorer_health_timeout=8")
    assert refused.returncode != 0
    said = " ".join(refused.stdout.split())
    assert "Out of rotation already: lb1 scorer_churn-model/scorer1 maint, lb2 scorer_churn-model/scorer1 maint" in said, \
        said[-3000:]
    assert lb_servers(endpoint, "lb1") == lb_servers(endpoint, "lb2") == {"scorer1": True, "scorer2": False}
    assert endpoint.predictions_on("scorer2") == [1]
    # Fixed on the server: the next run brings the host back into rotation.
    endpoint.publish(scores(1))
    fixed = endpoint.run("scorers.yml")
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    assert lb_servers(endpoint, "lb1") == lb_servers(endpoint, "lb2") == {"scorer1": False, "scorer2": False}
    # Out again with nothing to change (taken out by hand): a run of the role's deploy part alone
    # (--tags scorer_deploy) brings it back too.
    for balancer in ("lb1", "lb2"):
        docker("exec", endpoint.lab.container(balancer), "sh", "-c", "echo 'set server scorer_churn-model/scorer1 state maint'"
               " | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock")
    assert lb_servers(endpoint, "lb1") == lb_servers(endpoint, "lb2") == {"scorer1": True, "scorer2": False}
    deploy_only = endpoint.run("scorers.yml", "--tags", "scorer_deploy")
    assert deploy_only.returncode == 0, deploy_only.stdout[-4000:]
    assert lb_servers(endpoint, "lb1") == lb_servers(endpoint, "lb2") == {"scorer1": False, "scorer2": False}


def test_a_model_removed_from_the_inventory_is_removed_everywhere(endpoint, tmp_path):
    lab = endpoint.lab
    inventory = json.loads(endpoint.inventory.read_text())
    models = inventory["all"]["children"]["scorers"]["vars"]["scorer_models"]
    upsell = {"name": "upsell", "model_id": 101, "host_port": 8082, "lb_port": 8444}
    added = endpoint.run("scorers.yml", "-e", json.dumps({"scorer_models": models + [upsell]}))
    assert added.returncode == 0, added.stdout[-4000:]
    config = docker("exec", lab.container("lb1"), "cat", "/etc/haproxy/haproxy.cfg").stdout
    assert "backend scorer_upsell" in config and ":8444 " in config
    assert docker("exec", lab.container("scorer1"), "docker", "inspect", "sparkflows-scorer-upsell").returncode == 0

    removed = endpoint.run("scorers.yml", "-e", json.dumps({"scorer_models": models + [dict(upsell, state="absent")]}))
    assert removed.returncode == 0, removed.stdout[-4000:]
    for balancer in lab.balancers:
        config = docker("exec", lab.container(balancer), "cat", "/etc/haproxy/haproxy.cfg").stdout
        assert "scorer_upsell" not in config, balancer
    for host in ("scorer1", "scorer2"):
        assert docker("exec", lab.container(host), "docker", "inspect", "sparkflows-scorer-upsell").returncode != 0
        listing = docker("exec", lab.container(host), "ls", "/srv/sparkflows-scorer/models", "/var/lib/sparkflows-scorer/models")
        assert "upsell" not in listing.stdout, listing.stdout
    assert endpoint.score({"X-API-Key": endpoint.api_key})[0] == 200


def test_the_balancer_and_history_modules_examples_run_as_written(endpoint, tmp_path):
    """The EXAMPLES of scorer_lb_server, scorer_lb_info and scorer_deployment, on the lab (lb1,
    scorer1): drain scorer1 out, back at a tenth of the weight, read; a record written."""
    lab = endpoint.lab
    tasks = (example_tasks("sparkflows.mlops.scorer_lb_server", {})
             + example_tasks("sparkflows.mlops.scorer_lb_info", {})
             + example_tasks("sparkflows.mlops.scorer_deployment", {}))
    playbook = tmp_path / "examples.yml"
    playbook.write_text(json.dumps([{"name": "EXAMPLES", "hosts": "scorer1", "gather_facts": False, "become": True,
                                     "tasks": tasks + [{"name": "Back at the configuration's weight",
                                                        "sparkflows.mlops.scorer_lb_server": {"server": "scorer1",
                                                                                              "state": "ready"},
                                                        "delegate_to": "lb1"}]}]))
    ran = subprocess.run(["ansible-playbook", "-i", str(endpoint.inventory), str(playbook), "-v"], capture_output=True,
                         text=True, timeout=600, check=False, env=lab.env)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert "scorer_churn-model/scorer1: weight 10" in ran.stdout and "scorer_churn-model/scorer1: weight 100" in ran.stdout
    assert endpoint.history("scorer1")[-1]["outcome"] == "deployed"
    assert endpoint.history("scorer1")[-1]["model_sha256"].startswith("9f2c54a1")
    # The example record is not a version that ran there: the next deployment records anew.
    assert endpoint.score({"X-API-Key": endpoint.api_key})[0] == 200


def test_a_new_version_rolls_out_from_the_rulebook_and_a_failing_one_stops_at_the_canary(endpoint, tmp_path):
    """The collection's rulebook sparkflows.mlops.sparkflows_models under the real ansible-rulebook,
    as its header says to run it, on the lab (scorers choosing churn-model's latest Production
    version, the canary judged in 5 s, wrk on every balancer): a new version in the Sparkflows
    emulator's model repository is rolled to both scorer hosts, canary first, each host's history
    saying the event triggered it; a failing new version is stopped at the canary, which returns to
    the version before, and the rulebook's output says why; the token is in no line of it."""
    inventory = json.loads(endpoint.inventory.read_text())
    scorers = inventory["all"]["children"]["scorers"]["vars"]
    scorers["scorer_models"] = [{"name": "churn-model", "model_name": "churn-model", "stage": "Production",
                                 "host_port": 8081, "lb_port": 8443}]
    scorers["scorer_canary_window"] = 5
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    repository = endpoint.lab.state / "sparkflows" / "models"
    listing = [dict(model) for model in EMULATOR_MODELS]

    def release(version, score_py):
        """Version `version` of churn-model in Production (model id 100 + version), its file first."""
        make_model_zip(repository / ("%d.zip" % (100 + version)), score_py=score_py)
        listing.append({"id": 100 + version, "uuid": "5b0c3c0e-6f7a-4c3e-9a51-1f7f3a1d01%02d" % version,
                        "name": "churn-model", "version": version, "stage": "Production", "modelType": "sklearn"})
        (repository / "models.json").write_text(json.dumps(listing))

    variables = {"sparkflows_api_url": "http://127.0.0.1:%d" % endpoint.lab.sparkflows_port,
                 "sparkflows_watched_models": [{"name": "churn-model", "stage": "Production"}],
                 "sparkflows_watch_interval": 2}
    token = all_vars()["sparkflows_api_token"]
    with running_collection_rulebook(tmp_path, "sparkflows_models", tmp_path / "inventory.json", variables,
                                     {"SPARKFLOWS_API_TOKEN": token},
                                     "sparkflows_models: watching churn-model@Production") as rulebook:
        time.sleep(5)  # the first listing, the baseline, is done
        loads = endpoint.load()
        try:
            release(3, scores(7))
            assert rulebook.wait_for("PLAY RECAP", 900), rulebook.output()[-5000:]
        finally:
            each = [load.stop() for load in loads.values()]
        assert sum(n["socket_errors"] + n["status"] for n in each) == 0, [n["output"] for n in each]
        assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [7], rulebook.output()[-5000:]
        for host in ("scorer1", "scorer2"):
            record = endpoint.history(host)[-1]
            assert record["outcome"] == "deployed" and "triggered by event Sparkflows model repository (rule A watched " \
                "model has a new version of ruleset Roll new Sparkflows model versions through the canary): churn-model " \
                "version 3" in record["actor"], record

        loads = endpoint.load()
        try:
            release(4, FAILING)
            assert rulebook.wait_for("PLAY RECAP", 900, count=2), rulebook.output()[-5000:]
        finally:
            for load in loads.values():
                load.stop()
        # A model failing part of its requests: the rollout stops after the canary, scorer1
        # returns to the model it ran, scorer2 never changed, and the URL answers.
        said = " ".join(rulebook.output().split())
        assert "The canary scorer1 failed its 5 s window:" in said and "answered 5xx" in said, said[-5000:]
        assert "no other host was changed" in said, said[-5000:]
        assert endpoint.predictions_on("scorer1") == endpoint.predictions_on("scorer2") == [7]
        assert endpoint.score({"X-API-Key": endpoint.api_key}) == (200, {"predictions": [7]})
        assert [r["outcome"] for r in endpoint.history("scorer1")][-2:] == ["canary_failed", "rolled_back"]
        assert endpoint.history("scorer2")[-1]["outcome"] == "deployed"
        assert token not in rulebook.output()
