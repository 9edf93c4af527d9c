"""tests/lab/lab.sh on the real engine: systemd + sshd hosts that Ansible reaches over SSH
with host key checking on, brought up idempotently and removed completely."""

import base64
import datetime
import json
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import paramiko
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from utils.certificates import make_server_certificate, pem_certificate, pem_key
from utils.docker import docker
from utils.examples import example_tasks
from utils.lab import (LAB_HOSTS, REPO_ROOT, Lab, assert_previewed_fresh_hosts, group_vars, http_reply, lab_inventory,
                       require_image, single_file_inventory, typed_as_text)
from utils.playbook import recap_of, run_playbook
from utils.ports import free_port, free_port_ranges
from utils.rulebook import running_collection_rulebook
from utils.wrk import Wrk
from utils.wrk import install as wrk_install

SAMPLE = {"columns": ["age", "plan"], "data": [[42, "gold"]]}  # the scorer role's default sample


# The lab gets its own names and free ports (utils.lab.Lab): it never touches a user's lab. It runs
# bookworm, as `make lab` does; trixie's fresh hosts are previewed and converged by the site job
# template as AWX runs it (tests/integration/awx/): each release previewed and converged once in
# make test, each path on one of them.
@pytest.fixture(scope="module")
def lab(request, tmp_path_factory):
    suite = "bookworm"
    for image in ("sfmlops/lab-host:%s" % suite, "sfmlops/lab-scorer:%s" % suite):
        require_image(image, suite)
    # root/.lab is the lab's state, as .lab/ is `make lab`'s: inventories/lab, copied to
    # root/inventories/lab with this lab's SSH ports, reads it as it reads .lab/ (every group,
    # mlflow1 with its MLflow, every secret).
    root = tmp_path_factory.mktemp("lab-%s" % suite)
    state = root / ".lab"
    made = Lab("sfmlops-itest-%s" % suite, state, suite)
    up = made.lab_sh("up")
    request.addfinalizer(lambda: made.lab_sh("down"))
    assert up.returncode == 0, up.stderr
    inventory = lab_inventory(root, made.ports)
    lab = {"name": made.name, "state": state, "ports": made.ports, "inventory": inventory, "lab_sh": made.lab_sh,
           "env": made.env, "sparkflows_port": made.sparkflows_port, "scorer_ports": made.scorer_ports,
           "lb_port": made.lb_port, "mlflow_port": made.mlflow_port, "lab": made}
    # First, on the hosts as lab.sh made them (nothing configured yet): the preview an admin runs
    # before the first run, on the hosts site.yml installs services on (preflight's: mlflow,
    # scorers, scorer_lbs). test_check_mode_on_fresh_hosts reads what it did and what the hosts
    # looked like after it. Not sparkflows1: its role checks that the MLflow this same run would
    # install answers, which a preview cannot do.
    preview, recap = site(lab, REPO_ROOT, "--check", "--diff", "--limit", "all:!sparkflows")
    lab["fresh_preview"] = (preview, recap, made.service_state())
    return lab


def containers(lab):
    return ["%s-%s" % (lab["name"], host) for host in LAB_HOSTS]


def endpoint_score(lab, headers=None):
    """POST the sample to churn-model's one URL (lb1), TLS checked against the lab's CA:
    (status, body)."""
    context = ssl.create_default_context(cafile=str(lab["state"] / "ca" / "ca.crt"))
    request = urllib.request.Request("https://127.0.0.1:%d/predict" % lab["lb_port"], method="POST",
                                     data=json.dumps(SAMPLE).encode(),
                                     headers=dict({"Content-Type": "application/json"}, **(headers or {})))
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def api_key(lab):
    return {"X-API-Key": (lab["state"] / "scorer-api-key").read_text().strip()}


def test_hosts_boot_systemd_without_privileged(lab):
    for container in containers(lab):
        info = json.loads(docker("inspect", container).stdout)[0]
        assert info["State"]["Running"]
        assert info["HostConfig"]["Privileged"] is False
        assert "SYS_ADMIN" in info["HostConfig"]["CapAdd"] or "CAP_SYS_ADMIN" in info["HostConfig"]["CapAdd"]
        assert docker("exec", container, "cat", "/proc/1/comm").stdout.strip() == "systemd"
        assert docker("exec", container, "systemctl", "is-active", "ssh").stdout.strip() == "active"


def test_ssh_checks_host_keys_recorded_by_the_lab(lab):
    key = paramiko.Ed25519Key.from_private_key_file(str(lab["state"] / "id_ed25519"))
    for host, port in lab["ports"].items():
        client = paramiko.SSHClient()
        client.load_host_keys(str(lab["state"] / "known_hosts"))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect("127.0.0.1", port=port, username="root", pkey=key, timeout=10,
                       allow_agent=False, look_for_keys=False)
        _stdin, stdout, _stderr = client.exec_command("hostname", timeout=10)
        assert stdout.read().decode().strip() == host
        client.close()


def test_ssh_refuses_a_host_whose_key_does_not_match(lab):
    hosts = list(lab["ports"].items())
    (_first, port_a), (_second, port_b) = hosts[0], hosts[1]
    # Record host B's key under host A's address: connecting to A must now fail.
    known = lab["state"].parent / "swapped_known_hosts"
    entries = dict(line.split(" ", 1) for line in (lab["state"] / "known_hosts").read_text().splitlines())
    known.write_text("[127.0.0.1]:%d %s\n" % (port_a, entries["[127.0.0.1]:%d" % port_b]))
    client = paramiko.SSHClient()
    client.load_host_keys(str(known))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.BadHostKeyException):
        client.connect("127.0.0.1", port=port_a, username="root",
                       key_filename=str(lab["state"] / "id_ed25519"), timeout=10,
                       allow_agent=False, look_for_keys=False)
    client.close()


def test_state_files_are_private(lab):
    assert oct(lab["state"].stat().st_mode & 0o777) == "0o700"
    for secret in ("id_ed25519", "mlflow-admin-password", "scorer-api-key", "ca/ca.key"):
        assert oct((lab["state"] / secret).stat().st_mode & 0o777) == "0o600", secret
    assert len((lab["state"] / "mlflow-admin-password").read_text().strip()) >= 20


def test_sparkflows_emulator_stands_in_for_sparkflows(lab):
    with urllib.request.urlopen("http://127.0.0.1:%d/healthcheck" % lab["sparkflows_port"], timeout=10) as answer:
        assert json.loads(answer.read()) == {"status": "UP"}


def site(lab, repo_root, *args):
    """Run playbooks/site.yml on the lab as `make lab` does (ansible-playbook -i inventories/lab
    playbooks/site.yml); (process, {host: (changed, unreachable, failed)})."""
    result = subprocess.run(
        ["ansible-playbook", "-i", str(lab["inventory"]), str(repo_root / "playbooks/site.yml"), *args],
        capture_output=True, text=True, timeout=900, check=False,
        env=dict(lab["env"], ANSIBLE_CONFIG=str(repo_root / "ansible.cfg")),
    )
    return result, recap_of(result)


def lab_ca(lab):
    """A TLS context that trusts the lab's CA only."""
    return ssl.create_default_context(cafile=str(lab["state"] / "ca" / "ca.crt"))


def mlflow_api(lab, path, body=None):
    """GET (or POST body) /api/2.0/mlflow/PATH on mlflow1 through its published HTTPS port, as the admin: the JSON."""
    password = (lab["state"] / "mlflow-admin-password").read_text().strip()
    request = urllib.request.Request(
        "https://127.0.0.1:%d/api/2.0/mlflow/%s" % (lab["mlflow_port"], path),
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Basic " + base64.b64encode(("admin:%s" % password).encode()).decode(),
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20, context=lab_ca(lab)) as answer:
        return json.loads(answer.read())


def plain_http_reply(lab, port):
    """What mlflow1:port answers a plain HTTP request from sparkflows1 (bounded: 10 s), as repr."""
    return docker("exec", "%s-sparkflows1" % lab["name"], "python3", "-c", (
        "import socket; s = socket.create_connection(('mlflow1', %d), timeout=10); "
        "s.sendall(b'GET /health HTTP/1.1\\r\\nHost: mlflow1\\r\\n\\r\\n'); s.settimeout(10); "
        "print(repr(s.recv(64)))") % port, timeout=60).stdout.strip()


def secrets(lab):
    """The lab's secret values the inventory carries (and mlflow1's TLS key, once made): {what: value}."""
    state = lab["state"]
    tls_key = docker("exec", "%s-mlflow1" % lab["name"], "sh", "-c", "cat /etc/mlflow/proxy/mlflow.pem.key 2>/dev/null")
    return dict({
        "MLflow admin password": (state / "mlflow-admin-password").read_text().strip(),
        "MLflow database password": (state / "mlflow-db-password").read_text().strip(),
        "S3 access key": (state / "s3" / "access-key").read_text().strip(),
        "S3 secret key": (state / "s3" / "secret-key").read_text().strip(),
        "scorer API key": (state / "scorer-api-key").read_text().strip(),
        "registry password": (state / "registry" / "password").read_text().strip(),
        "CA private key": (state / "ca" / "ca.key").read_text().strip().splitlines()[1],
        "Sparkflows API token": group_vars(lab["inventory"], "all")["sparkflows_api_token"],
    }, **({"mlflow1's TLS key": tls_key.stdout.strip().splitlines()[1]} if tls_key.stdout.strip() else {}))


def shown_secrets(lab, process):
    """The names of the lab's secrets whose value process printed."""
    output = process.stdout + process.stderr
    return sorted(what for what, value in secrets(lab).items() if value in output)


def test_check_mode_on_fresh_hosts_changes_nothing_and_says_what_it_would(lab):
    """site.yml --check --diff on the service hosts never configured (a balancer without HAProxy or
    its runtime socket, scorer hosts without the Docker SDK or a scorer, an MLflow host without
    its Python packages or unit), run by the fixture before anything else: it succeeds, reports
    what it would change on every host, and leaves every host (and Sparkflows' configuration)
    as lab.sh made it."""
    preview, recap, after = lab["fresh_preview"]
    assert preview.returncode == 0, preview.stdout[-6000:] + preview.stderr[-2000:]
    assert sorted(recap) == sorted(set(LAB_HOSTS) - {"sparkflows1"}), recap
    assert all(changed > 0 and (unreachable, failed) == (0, 0) for changed, unreachable, failed in recap.values()), \
        recap
    assert_previewed_fresh_hosts(preview.stdout, after)
    assert shown_secrets(lab, preview) == []


def test_site_playbook_deploys_scorers_that_score_then_changes_nothing(lab, repo_root):
    # At -vvv, as an admin debugging it runs it: no secret of the inventory (PostgreSQL's, S3's,
    # MLflow's admin password) nor mlflow1's TLS key made in this run is printed.
    first, recap = site(lab, repo_root, "-vvv")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert shown_secrets(lab, first) == []
    assert sorted(recap) == sorted(LAB_HOSTS), recap
    assert all(changed > 0 for changed, _unreachable, _failed in recap.values()), recap
    # MLflow on mlflow1 over HTTPS (the lab CA) behind the generated admin password, as `make lab`
    # prints it.
    search = "https://127.0.0.1:%d/api/2.0/mlflow/experiments/search?max_results=5" % lab["mlflow_port"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(search, timeout=10, context=lab_ca(lab))
    assert refused.value.code == 401
    assert "experiments" in mlflow_api(lab, "experiments/search?max_results=5")
    # Remote mode: Sparkflows' service user reaches mlflow1 over SSH with its new key, host key
    # checked by OpenSSH itself, runs MLflow there, and the emulator holds the key path.
    session = docker("exec", "-u", "sparkflows", "%s-sparkflows1" % lab["name"], "ssh", "-o", "BatchMode=yes",
                     "-o", "StrictHostKeyChecking=yes", "-i", "/home/sparkflows/.ssh/sparkflows_mlflow",
                     "sparkflows@mlflow1", "/opt/mlflow/venv/bin/mlflow --version", timeout=60)
    assert session.returncode == 0 and "mlflow" in session.stdout.lower(), session.stdout + session.stderr
    stored = lab["lab"].sparkflows_configurations()
    assert stored["mlops.mlflow.deploy.mode"] == "remote"
    assert stored["mlops.mlflow.ssh.key.path"] == "/home/sparkflows/.ssh/sparkflows_mlflow"
    # Scored from this machine through churn-model's one URL, as `make lab` prints it; the scorer
    # hosts' own published ports refuse this machine (only lb1 may connect), lb1 reaches them.
    assert endpoint_score(lab, api_key(lab)) == (200, {"predictions": [0]})
    for port in lab["scorer_ports"]:
        assert http_reply(port) == b"", port
    for host in ("scorer1", "scorer2"):
        health = docker("exec", "%s-lb1" % lab["name"], "python3", "-c",
                        "import urllib.request; print(urllib.request.urlopen('http://%s:8081/health', timeout=10).status)"
                        % host)
        assert health.stdout.strip() == "200", health.stderr
    # The scorer runs inside the scorer host's own Docker Engine, from the lab registry.
    inner = docker("exec", "%s-scorer1" % lab["name"], "docker", "inspect", "-f", "{{.Config.Image}} {{.State.Running}}",
                   "sparkflows-scorer-churn-model")
    assert inner.stdout.split() == ["registry:5000/sparkflows/scorer:3.1.0", "true"], inner.stdout + inner.stderr

    # Run again as AWX sends a survey, or an admin types it in a shell: every boolean and number of
    # every role as `-e name=text` (the lab's own values), and the one Sparkflows connection's
    # boolean (read by the sparkflows_connection lookup), with --diff at -vvv. No type error,
    # nothing changes, and no secret of the inventory shows (mlflow1's password included).
    second, recap = site(lab, repo_root, "--diff", "-vvv", *text_extra_vars(lab), "-e", "sparkflows_validate_certs=yes")
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap == dict((host, (0, 0, 0)) for host in LAB_HOSTS), recap
    assert "sparkflows_mlflow_password" in group_vars(lab["inventory"], "sparkflows")
    assert shown_secrets(lab, second) == []


def test_verify_and_report_with_every_role_variable_as_text_show_no_secret(lab, repo_root):
    """The playbooks beside site.yml read the same variables: given as text (`-e name=text`, as
    site.yml's second run above is), in check mode at -vvv: no type error, no secret shown. (A
    preview of site.yml on converged hosts is each role's Molecule scenario's; on fresh hosts, the
    lab fixture's.)"""
    for other in ("verify.yml", "report.yml"):
        ran = playbook(lab, repo_root, other, "--check", "-vvv", *text_extra_vars(lab),
                       "-e", "report_dir=%s" % lab["state"].parent)
        assert ran.returncode == 0, (other, ran.stdout[-3000:])
        assert shown_secrets(lab, ran) == [], other


def test_the_prerequisites_tag_runs_the_install_on_every_scorer_host(lab, repo_root):
    """--tags scorer_prerequisites once skipped its only install task (the facts it read are not
    gathered under tags): the install runs, found installed, on each host."""
    tagged = playbook(lab, repo_root, "scorers.yml", "--tags", "scorer_prerequisites", "--check")
    assert tagged.returncode == 0, tagged.stdout[-3000:]
    # serial 1: one play batch per host, each with its own run of the install task.
    install = "".join(part.split("TASK [")[0] for part in
                      tagged.stdout.split("TASK [sparkflows.mlops.scorer : Install the Docker SDK for Python")[1:])
    assert ("ok: [scorer1]" in install, "ok: [scorer2]" in install, "skipping" in install) == (True, True, False), install


def test_production_mlflow_on_postgresql_and_s3_behind_tls(lab, repo_root):
    """mlflow1 as site.yml left it: PostgreSQL stores, S3 artifacts (moto), TLS in front. A client
    logs and registers a model over HTTPS with the lab CA; its artifacts are objects in the
    bucket; the server survives a PostgreSQL restart; plain HTTP is refused and the server
    listens on loopback only; no secret in a process list or a file not 0600. (A registered
    model served behind TLS is the next test's.)"""
    name = "%s-mlflow1" % lab["name"]
    # The MLflow client (mlflow1's own environment) through the proxy, the CA given as clients give it.
    docker("cp", str(lab["state"] / "ca" / "ca.crt"), "%s:/tmp/lab-ca.crt" % name)
    docker("cp", str(repo_root / "tests" / "integration" / "lab" / "files" / "log_model.py"), "%s:/tmp/log_model.py" % name)
    password = (lab["state"] / "mlflow-admin-password").read_text().strip()
    logged = docker("exec", "-e", "MLFLOW_TRACKING_URI=https://mlflow1:5000", "-e", "MLFLOW_TRACKING_USERNAME=admin",
                    "-e", "MLFLOW_TRACKING_PASSWORD", "-e", "MLFLOW_TRACKING_SERVER_CERT_PATH=/tmp/lab-ca.crt",
                    name, "/opt/mlflow/venv/bin/python", "/tmp/log_model.py", "lab-model", timeout=300,
                    env={"MLFLOW_TRACKING_PASSWORD": password})
    assert logged.returncode == 0, logged.stdout[-2000:] + logged.stderr[-3000:]
    run = json.loads(logged.stdout.strip().splitlines()[-1])
    assert run["artifact_uri"].startswith("mlflow-artifacts:/"), run  # proxied: clients need no S3 keys
    # The artifacts are objects in the bucket, under the prefix the role gave.
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%d" % lab["lab"].s3_port, region_name="us-east-1",
                      aws_access_key_id=(lab["state"] / "s3" / "access-key").read_text().strip(),
                      aws_secret_access_key=(lab["state"] / "s3" / "secret-key").read_text().strip())
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="mlflow-artifacts", Prefix="mlflow/").get("Contents", [])]
    assert any(key.endswith("/MLmodel") for key in keys), keys
    # Plain HTTP to the tracking port is refused (the proxy speaks TLS only); the server itself
    # listens on loopback only.
    assert plain_http_reply(lab, 5000) in ("b''", "")
    listening = docker("exec", name, "ss", "-Hltn").stdout
    assert "127.0.0.1:15000 " in listening and "0.0.0.0:15000 " not in listening, listening
    # PostgreSQL restarts: the tracking server reconnects and still reads its stores.
    assert docker("exec", name, "systemctl", "restart", "postgresql").returncode == 0
    for _attempt in range(10):
        try:
            found = mlflow_api(lab, "registered-models/search?max_results=10")
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(2)
    assert [model["name"] for model in found["registered_models"]] == ["lab-model"], found
    runs = mlflow_api(lab, "runs/get?run_id=%s" % run["run_id"])
    assert runs["run"]["data"]["metrics"][0]["key"] == "accuracy"
    # No secret in any process's command line; every file holding one is 0600.
    shown = docker("exec", name, "ps", "-eo", "args").stdout
    values = secrets(lab)
    assert [what for what, value in values.items() if value in shown] == []
    for what in ("MLflow admin password", "MLflow database password", "S3 secret key", "S3 access key"):
        holding = docker("exec", name, "sh", "-c", "grep -rlF -- \"$0\" /etc /var/lib/mlflow /var/backups "
                         "2>/dev/null | xargs -r stat -c '%a %n'", values[what]).stdout.split("\n")
        assert [line for line in holding if line and not line.startswith("600 ")] == [], (what, holding)
        assert any(line for line in holding if line), what  # the file that holds it was looked at


def test_a_moved_alias_is_served_blue_green_without_a_failed_request(lab, repo_root, tmp_path):
    """A served model named by its alias (models:/lab-cd@champion) on mlflow1, behind TLS. MLflow
    (PostgreSQL stores) delivers its registry webhook - registered by module mlflow_webhook, its
    test delivery taken - to the collection's rulebook sparkflows.mlops.mlflow_alias under the
    real ansible-rulebook on this machine: the alias moved to a new version is served within a
    bounded time, wrk seeing no failed request through the model's TLS port on the way, no secret
    in the rulebook's output (nor in a process's command line; the model's slots listen on
    loopback only, its public port refuses plain HTTP). Then, by the playbook the rule runs: a
    run with nothing new changes nothing; the alias moved back switches back to the version kept
    running; a version that does not load is stopped at its health check and the version before
    keeps serving; the version its slot held before is then started anew there when asked for;
    the report says which version serves from which slot and which one is kept for a switch back;
    a version that loads but fails to score the model's sample is stopped too; the model leaves,
    its port freed."""
    name = "%s-mlflow1" % lab["name"]
    password = (lab["state"] / "mlflow-admin-password").read_text().strip()
    docker("cp", str(lab["state"] / "ca" / "ca.crt"), "%s:/tmp/lab-ca.crt" % name)
    docker("cp", str(repo_root / "tests" / "integration" / "lab" / "files" / "log_model.py"), "%s:/tmp/log_model.py" % name)
    factors = ("2", "3", "broken", "raises")
    logged = docker("exec", "-e", "MLFLOW_TRACKING_URI=https://mlflow1:5000", "-e", "MLFLOW_TRACKING_USERNAME=admin",
                    "-e", "MLFLOW_TRACKING_PASSWORD", "-e", "MLFLOW_TRACKING_SERVER_CERT_PATH=/tmp/lab-ca.crt",
                    name, "/opt/mlflow/venv/bin/python", "/tmp/log_model.py", "lab-cd", *factors, timeout=600,
                    env={"MLFLOW_TRACKING_PASSWORD": password})
    assert logged.returncode == 0, logged.stdout[-2000:] + logged.stderr[-3000:]
    printed = [json.loads(line) for line in logged.stdout.splitlines() if line.startswith("{")]
    versions = dict(zip(factors, (version["version"] for version in printed)))
    assert len(printed) == len(factors), logged.stdout
    served = {"mlflow_host_served_models": [{"name": "lab-cd", "model_uri": "models:/lab-cd@champion", "port": 5002,
                                             "sample": {"dataframe_split": {"columns": ["x"], "data": [[1]]}}}],
              "mlflow_host_health_timeout": 30}

    def champion(version):
        mlflow_api(lab, "registered-models/alias", dict(name="lab-cd", alias="champion", version=str(version)))

    def serve():
        ran = playbook(lab, repo_root, "mlflow_models.yml", "-e", json.dumps(served))
        return ran, recap_of(ran)

    def scored():
        """What the model answers for 21 through its TLS port, from sparkflows1, the lab CA verified."""
        answer = docker("exec", "%s-sparkflows1" % lab["name"], "python3", "-c", (
            "import json, ssl, urllib.request; c = ssl.create_default_context(cafile='/tmp/lab-ca.crt'); "
            "r = urllib.request.Request('https://mlflow1:5002/invocations', method='POST', "
            "data=json.dumps({'dataframe_split': {'columns': ['x'], 'data': [[21]]}}).encode(), "
            "headers={'Content-Type': 'application/json'}); "
            "print(urllib.request.urlopen(r, timeout=60, context=c).read().decode())"), timeout=120)
        return json.loads(answer.stdout)["predictions"]

    def live():
        return json.loads(docker("exec", name, "cat", "/etc/mlflow/models/served.json").stdout)["lab-cd"]["live"]

    def load():
        """wrk from this machine through the model's TLS port (2 connections, 20 ms apart)."""
        return Wrk("https://%s:5002/invocations" % address, {"dataframe_split": {"columns": ["x"], "data": [[21]]}},
                   connections=2, pace_ms=20, limit_seconds=600).start()

    docker("cp", str(lab["state"] / "ca" / "ca.crt"), "%s-sparkflows1:/tmp/lab-ca.crt" % lab["name"])
    wrk_install()
    address, gateway = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.Gateway}} {{end}}",
                              name).stdout.split()[:2]

    # The rulebook listens on this machine, reached from mlflow1 at the lab network's gateway
    # with a certificate of the lab's CA (which mlflow1's MLflow trusts for webhooks).
    ca = x509.load_pem_x509_certificate((lab["state"] / "ca" / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((lab["state"] / "ca" / "ca.key").read_bytes(), password=None)
    key, certificate = make_server_certificate(ca_key, ca, ip=gateway)
    (tmp_path / "listener.pem").write_bytes(pem_certificate(certificate))
    (tmp_path / "listener.key").write_bytes(pem_key(key))
    port = free_port()
    # The inventory as one file (ansible-rulebook copies it for each run), the served model in it:
    # the rule's playbook takes no extra variables.
    inventory = single_file_inventory(lab["inventory"], tmp_path / "inventory.yml")
    hosts = yaml.safe_load(inventory.read_text())
    hosts["all"]["children"]["lab_hosts"]["children"]["mlflow"]["vars"].update(served)
    inventory.write_text(yaml.safe_dump(hosts))
    secret = "Lab-Webhook-Secret-Wq82"
    variables = dict(mlflow_webhook_port=port, mlflow_webhook_certfile=str(tmp_path / "listener.pem"),
                     mlflow_webhook_keyfile=str(tmp_path / "listener.key"), mlflow_alias="champion")
    (tmp_path / "rulebook").mkdir()
    with running_collection_rulebook(tmp_path / "rulebook", "mlflow_alias", inventory, variables,
                                     {"MLFLOW_WEBHOOK_SECRET": secret}, "mlflow_webhook: listening on") as rulebook:
        # MLflow on mlflow1 registers the webhook and its test delivery reaches the rulebook.
        registered = run_playbook(tmp_path, [{"name": "Register", "sparkflows.mlops.mlflow_webhook": {
            "tracking_uri": "https://127.0.0.1:%d" % lab["mlflow_port"], "ca_path": str(lab["state"] / "ca" / "ca.crt"),
            "username": "admin", "password": "{{ mlflow_password }}", "name": "lab-eda",
            "url": "https://%s:%d/" % (gateway, port), "secret": "{{ webhook_secret }}", "test": True}}],
            extra_vars={"mlflow_password": password, "webhook_secret": secret}, timeout=180)
        assert registered.rc == 0 and registered.results[0]["test"]["success"], registered.stdout[-3000:]

        def moved(version, runs, loaded=True):
            """The alias set to version (under wrk when loaded): the rule's playbook run `runs`
            times in all (its recap printed, within 600 s); the rulebook's output of that run."""
            running = load() if loaded else None
            try:
                champion(version)
                rulebook.wait_for("PLAY RECAP", 600, count=runs)
            finally:
                numbers = running.stop() if running else None
            # ansible-rulebook shows the playbook's output in colour: the codes are left out.
            run = re.sub(r"\x1b\[[0-9;]*m", "", rulebook.output()).split(
                "MLflow set alias champion of lab-cd to version %s" % version)[-1]
            assert "PLAY RECAP" in run and "failed=0" in run.split("PLAY RECAP")[1], rulebook.output()[-6000:]
            if numbers:
                assert (numbers["socket_errors"], numbers["status"]) == (0, 0) and numbers["requests"] > 20, \
                    numbers["output"]
            return run

        # The webhook is registered before any alias is set: each of MLflow's workers caches the
        # webhooks of an event for MLFLOW_WEBHOOK_CACHE_TTL (60 s) once it has seen one.
        # champion on version 2: the rule serves it, in its first slot.
        moved(versions["2"], 1, loaded=False)
        assert scored() == [42]
        before = live()
        # A new model starts in the idle slot of a new host, green (its port: 5002 plus twice the
        # offset), which listens on loopback only; its public port speaks TLS only.
        assert before == "green"
        listening = docker("exec", name, "ss", "-Hltn").stdout
        assert "127.0.0.1:25002 " in listening and "0.0.0.0:25002 " not in listening, listening
        assert plain_http_reply(lab, 5002) in ("b''", "")
        # No secret in the command line of any process, the served model's among them.
        shown = docker("exec", name, "ps", "-eo", "args").stdout
        assert [what for what, value in secrets(lab).items() if value in shown] == []
        # The alias moves to version 3: the rule serves it from the other slot, no request failing.
        moved(versions["3"], 2)
        assert scored() == [63] and live() != before
        # Back: the slot kept running serves again at once (no slot started), no request failing.
        back = moved(versions["2"], 3)
        assert scored() == [42] and live() == before
        assert re.search(r"Start the slot of each served model that has a new version\] \*+\s+skipping", back), back[-4000:]
        output = rulebook.output()
        assert secret not in output and password not in output
    # Nothing new: nothing changes.
    again, recap = serve()
    assert again.returncode == 0 and recap["mlflow1"][0] == 0, again.stdout[-4000:]
    # A version that fails as it loads: stopped at its health check, the version before serves on.
    champion(versions["broken"])
    broken, _recap = serve()
    assert broken.returncode != 0
    said = " ".join(broken.stdout.split())
    assert ("Served model lab-cd: models:/lab-cd/%s in slot" % versions["broken"]) in said \
        and ("requests still go to slot %s (models:/lab-cd/%s)" % (before, versions["2"])) in said, said[-4000:]
    assert scored() == [42] and live() == before
    # The slot the broken version started in held version 3 before: asked for again, version 3
    # starts there anew (the failed run kept that the slot holds nothing known) and serves.
    champion(versions["3"])
    third, _recap = serve()
    assert third.returncode == 0, third.stdout[-4000:]
    assert scored() == [63] and live() != before
    # The report says which version serves from which slot, and which one is kept for a switch back.
    report_dir = tmp_path / "report"
    reported = playbook(lab, repo_root, "report.yml", "--limit", "mlflow1",
                        "-e", json.dumps(dict(served, report_dir=str(report_dir))))
    assert reported.returncode == 0, reported.stdout[-4000:]
    row = json.loads((report_dir / "report.json").read_text())["mlflow"]["mlflow1"]["served"][0]
    assert (row["model_uri"], row["slot"], row["standby_uri"], row["up"], row["drift"]) \
        == ("models:/lab-cd/%s" % versions["3"], live(), "models:/lab-cd/%s" % versions["2"], True, []), row
    # A version that loads but fails to score its sample: stopped before it serves, version 3 serves on.
    serving = live()
    champion(versions["raises"])
    raises, _recap = serve()
    assert raises.returncode != 0
    said = " ".join(raises.stdout.split())
    assert ("Served model lab-cd: models:/lab-cd/%s in slot" % versions["raises"]) in said \
        and ("did not score its sample; requests still go to slot %s (models:/lab-cd/%s)" % (serving, versions["3"])) \
        in said, said[-4000:]
    assert scored() == [63] and live() == serving
    # haproxy_map_entry's EXAMPLES on mlflow1's proxy: an entry added, then removed; the map as it was.
    held = docker("exec", name, "cat", "/etc/mlflow/models/live.map").stdout
    assert "model-lab-cd model-lab-cd-%s" % live() in held, held
    examples = tmp_path / "examples.yml"
    examples.write_text(json.dumps([{"name": "EXAMPLES", "hosts": "mlflow1", "gather_facts": False, "become": True,
                                     "tasks": example_tasks("sparkflows.mlops.haproxy_map_entry", {})}]))
    ran = playbook(lab, repo_root, str(examples), "-v")
    assert ran.returncode == 0 and recap_of(ran)["mlflow1"][0] == 2, ran.stdout[-4000:]
    assert docker("exec", name, "cat", "/etc/mlflow/models/live.map").stdout == held
    # The model leaves: both slots stop, its map entry goes.
    served["mlflow_host_served_models"][0]["state"] = "absent"
    gone, _recap = serve()
    assert gone.returncode == 0, gone.stdout[-3000:]
    active = docker("exec", name, "systemctl", "is-active", "mlflow-model@lab-cd", "mlflow-model@lab-cd:green").stdout
    assert active.split() == ["inactive", "inactive"], active
    assert "lab-cd" not in docker("exec", name, "cat", "/etc/mlflow/models/live.map").stdout
    assert ":5002 " not in docker("exec", name, "ss", "-Hltn").stdout  # the proxy freed its port


def text_extra_vars(lab):
    """`-e name=value` of every bool, int and float variable of every role, as text: the value the
    lab's inventory gives it, else the role's default; variables without a value are left out."""
    given = {}
    for group in ("mlflow", "scorers", "sparkflows", "scorer_lbs"):
        given.update(group_vars(lab["inventory"], group))
    return typed_as_text(("scorer", "scorer_lb", "mlflow_host", "sparkflows_mlflow"), given)


def playbook(lab, _repo_root, name, *args, cwd=None):
    """ansible-playbook from cwd, with the lab's inventory."""
    return lab["lab"].playbook(lab["inventory"], name, *args, cwd=cwd)


def test_report_and_verify_see_a_stopped_scorer(lab, repo_root, tmp_path):
    report_dir = tmp_path / "report"
    only = ("-e", "report_dir=%s" % report_dir)
    healthy = playbook(lab, repo_root, "verify.yml", *only)
    assert healthy.returncode == 0, healthy.stdout[-4000:]
    report = json.loads((report_dir / "report.json").read_text())
    assert report["red"] == []
    scorer = report["scorers"]["scorer1"][0]
    assert (scorer["model_id"], scorer["release"], scorer["image"], scorer["score_status"], scorer["healthy"]) \
        == ("101", "3.1.0", "registry:5000/sparkflows/scorer:3.1.0", 200, True)
    assert len(scorer["model_sha256"]) == 64 and scorer["score_ms"] > 0
    assert datetime.datetime.fromisoformat(report["generated"]).utcoffset() == datetime.timedelta(0)
    # The Sparkflows server's row: the MLflow configuration site.yml wrote, the password masked
    # (never the lab's), and every scorer's image of the server's release.
    server = report["sparkflows"]["sparkflows1"]
    assert (server["url"], server["health"], server["release"], server["red"]) \
        == ("http://sparkflows:8080", "UP", "3.1.0", False)
    assert (server["mlflow"]["tracking_url"], server["mlflow"]["deploy_mode"], server["mlflow"]["username"],
            server["mlflow"]["password"]) == ("https://mlflow1:5000", "remote", "admin", "********")
    assert [(i["id"], i["tag"], i["match"]) for i in server["images"]] \
        == [("scorer1/churn-model", "3.1.0", True), ("scorer2/churn-model", "3.1.0", True)]
    mlflow_password = (lab["state"] / "mlflow-admin-password").read_text().strip()
    for shown in (report_dir / "report.json", report_dir / "report.html"):
        assert mlflow_password not in shown.read_text()
    assert mlflow_password not in healthy.stdout + healthy.stderr

    # A stopped scorer and a score workflow that fails: the report is still written, red, and the
    # run fails on it, naming the scorer, the workflow and the balancer's backend server of the
    # scorer that its health checks took down.
    stopped = docker("exec", "%s-scorer2" % lab["name"], "docker", "stop", "sparkflows-scorer-churn-model")
    assert stopped.returncode == 0, stopped.stderr
    red = playbook(lab, repo_root, "verify.yml", "-e", "verify_score_workflow=score-broken", *only)
    assert red.returncode != 0
    report = json.loads((report_dir / "report.json").read_text())
    reds = "scorer2/churn-model, sparkflows1/workflow, lb1/scorer_churn-model/scorer2"
    assert report["red"] == reds.split(", "), report["red"]
    assert report["sparkflows"]["sparkflows1"]["workflow_status"] == "FAILED"
    assert "Unhealthy or drifting: %s" % reds in red.stdout, red.stdout[-3000:]
    html = (report_dir / "report.html").read_text()
    assert '<tr class="red">' in html and "not running" in html and "score-broken: FAILED" in html \
        and "3 red: %s" % reds in html
    # As docs/awx.md says to use Limit: the report covers the host limited to, and is red.
    limited_dir = tmp_path / "limited"
    limited = playbook(lab, repo_root, "verify.yml", "--limit", "scorer2", "-e", "report_dir=%s" % limited_dir)
    assert limited.returncode != 0, limited.stdout[-3000:]
    limited_report = json.loads((limited_dir / "report.json").read_text())
    assert (sorted(limited_report["scorers"]), limited_report["red"]) == (["scorer2"], ["scorer2/churn-model"])
    # A relative report_dir is the working directory's; check mode writes the report too.
    previewed = playbook(lab, repo_root, "report.yml", "--check", "-e", "report_dir=relative-report", cwd=tmp_path)
    assert previewed.returncode == 0, previewed.stdout[-3000:]
    assert json.loads((tmp_path / "relative-report" / "report.json").read_text())["red"] \
        == ["scorer2/churn-model", "lb1/scorer_churn-model/scorer2"]

    # The scorers play puts it back; the report is green again.
    assert playbook(lab, repo_root, "scorers.yml").returncode == 0
    assert playbook(lab, repo_root, "report.yml", *only).returncode == 0
    assert json.loads((report_dir / "report.json").read_text())["red"] == []


def test_second_up_keeps_the_running_hosts(lab):
    before = [docker("inspect", "-f", "{{.Id}}", c).stdout.strip() for c in containers(lab)]
    again = lab["lab_sh"]("up")
    assert again.returncode == 0, again.stderr
    after = [docker("inspect", "-f", "{{.Id}}", c).stdout.strip() for c in containers(lab)]
    assert before == after


def test_up_replaces_a_container_started_with_other_settings(lab):
    """A lab left running by an earlier run comes back with the engine, on that run's ports: up
    starts anew what it would start otherwise (here the emulator, asked for on another port) and
    keeps the rest."""
    emulator = "%s-sparkflows" % lab["name"]
    hosts = [docker("inspect", "-f", "{{.Id}}", c).stdout.strip() for c in containers(lab)]
    old = docker("inspect", "-f", "{{.Id}}", emulator).stdout.strip()
    (port,) = free_port_ranges(1)
    again = subprocess.run([str(REPO_ROOT / "tests" / "lab" / "lab.sh"), "up"], capture_output=True, text=True,
                           timeout=300, check=False, env=dict(lab["env"], SFMLOPS_LAB_SPARKFLOWS_PORT=str(port)))
    assert again.returncode == 0, again.stderr
    assert docker("inspect", "-f", "{{.Id}}", emulator).stdout.strip() != old
    with urllib.request.urlopen("http://127.0.0.1:%d/healthcheck" % port, timeout=5) as answer:
        assert answer.status == 200
    assert [docker("inspect", "-f", "{{.Id}}", c).stdout.strip() for c in containers(lab)] == hosts


def test_down_removes_every_trace(lab):
    down = lab["lab_sh"]("down")
    assert down.returncode == 0, down.stderr
    assert docker("ps", "-aq", "--filter", "label=sfmlops.lab=%s" % lab["name"]).stdout.strip() == ""
    assert docker("network", "inspect", lab["name"]).returncode != 0
    assert not lab["state"].exists()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen("http://127.0.0.1:%d/healthcheck" % lab["sparkflows_port"], timeout=5)
