"""playbooks/report.yml's Sparkflows row, run as a user runs it (ansible-playbook, an inventory)
against the Sparkflows emulator: health, release, the MLflow configuration the server holds
through role sparkflows_mlflow's key map, and never a secret value - not in report.json, not in
report.html, not in the play's -vvv output."""

import json
import os
import subprocess
import sys
import uuid

import pytest
import yaml

from emulator.fixtures import ADMIN_TOKEN, seed_configurations
from emulator.sparkflows_emulator import VARIANTS
from utils.ports import free_port

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MLFLOW_PASSWORD = "Hidden-Mlflow-Pa55"
S3_SECRET = "S3-Secret-Key-9x"
HELD = {"mlops.mlflow.trackingURL": "http://mlflow1:5000", "mlops.mlflow.deploy.mode": "remote",
        "mlops.mlflow.username": "admin", "mlops.mlflow.auth.pw": MLFLOW_PASSWORD,
        "mlops.aws.s3.secret.key": S3_SECRET, "mlops.mlflow.ssh.key.path": "/home/sparkflows/.ssh/id_ed25519"}


LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def report(tmp_path, url, *args, scorers=None):
    """report.yml on an inventory of one Sparkflows host (this machine, connection local) whose
    MLflow password is kept under a key that says nothing secret (sparkflows_mlflow_key_map), and
    the scorer hosts given ({host: variables}, this machine too)."""
    inventory = tmp_path / "hosts.yml"
    children = {"sparkflows": {"hosts": {"sparkflows1": dict(
        LOCAL, sparkflows_mlflow_key_map={"password": "mlops.mlflow.auth.pw"})}}}
    if scorers:
        children["scorers"] = {"hosts": dict((host, dict(LOCAL, **values)) for host, values in scorers.items())}
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"sparkflows_api_url": url, "sparkflows_api_token": ADMIN_TOKEN}, "children": children}}))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    return subprocess.run(["ansible-playbook", "-i", str(inventory), os.path.join(REPO_ROOT, "playbooks", "report.yml"),
                           "-e", "report_dir=%s" % (tmp_path / "report"), *args],
                          capture_output=True, text=True, timeout=300, env=env, check=False)


@pytest.mark.parametrize("secrets", VARIANTS["config_secrets"])
def test_the_sparkflows_row_never_shows_a_secret(tmp_path, emulator, secrets):
    seed_configurations(emulator, HELD)
    emulator.control("variant", {"config_secrets": secrets})
    run = report(tmp_path, emulator.url, "-vvv")
    assert run.returncode == 0, run.stdout[-4000:]
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    row = written["sparkflows"]["sparkflows1"]
    assert (row["url"], row["health"], row["release"], row["red"], written["red"]) \
        == (emulator.url, "UP", "3.1.0", False, [])
    assert row["mlflow"] == {"tracking_url": "http://mlflow1:5000", "deploy_mode": "remote", "username": "admin",
                             "password": "********", "fire_mlops_host": "", "fire_mlops_port": "",
                             "ssh_key_path": "/home/sparkflows/.ssh/id_ed25519"}
    html = (tmp_path / "report" / "report.html").read_text()
    assert "<h2>Sparkflows</h2>" in html and "password <code>********</code>" in html
    assert "tracking_url <code>http://mlflow1:5000</code>" in html
    for secret in (MLFLOW_PASSWORD, S3_SECRET):
        for where, text in (("report.json", json.dumps(written)), ("report.html", html),
                            ("-vvv output", run.stdout + run.stderr)):
            assert secret not in text, "%s shows a secret" % where
    # It read, and wrote nothing.
    assert set(r["method"] for r in emulator.requests()) == {"GET"}


def test_check_mode_writes_the_row_too(tmp_path, emulator):
    seed_configurations(emulator, HELD)
    run = report(tmp_path, emulator.url, "--check")
    assert run.returncode == 0, run.stdout[-4000:]
    row = json.loads((tmp_path / "report" / "report.json").read_text())["sparkflows"]["sparkflows1"]
    assert (row["health"], row["mlflow"]["password"]) == ("UP", "********")


def test_a_server_that_does_not_answer_is_red_in_a_report_still_written(tmp_path):
    url = "http://127.0.0.1:%d" % free_port()
    run = report(tmp_path, url)
    assert run.returncode == 0, run.stdout[-4000:]
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    row = written["sparkflows"]["sparkflows1"]
    assert (written["red"], row["health"], row["up"], row["mlflow"]) \
        == (["sparkflows1/sparkflows"], "not answering", False, None)
    assert url in row["health_message"]
    html = (tmp_path / "report" / "report.html").read_text()
    assert '<tr class="red">' in html and "1 red: sparkflows1/sparkflows" in html


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def running_scorer(tmp_path):
    """A running container as scorer_container names and labels one (deployed for release 3.1.0),
    of an image tagged 3.0.0: another release's image. On this machine's engine; removed after."""
    prefix = "sfmlops-itest-report-%s-" % uuid.uuid4().hex[:8]
    image = "%sscorer:3.0.0" % prefix.rstrip("-")
    assert docker("tag", "sfmlops/debian:bookworm", image).returncode == 0
    started = docker("run", "-d", "--name", prefix + "churn-model", "--label", "io.sparkflows.release=3.1.0",
                     "--label", "io.sparkflows.model.id=101", image, "sleep", "600")
    try:
        assert started.returncode == 0, started.stderr
        yield {"scorer_container_prefix": prefix, "scorer_history_dir": str(tmp_path / "history"),
               "scorer_models": [{"name": "churn-model", "model_id": 101, "host_port": 8081}], "image": image}
    finally:
        docker("rm", "-f", prefix + "churn-model")
        docker("rmi", image)


def test_a_scorer_image_of_another_release_is_red_and_a_limit_keeps_the_hosts_run(tmp_path, emulator, running_scorer):
    image = running_scorer.pop("image")
    run = report(tmp_path, emulator.url, "--check", scorers={"scorer1": running_scorer})
    assert run.returncode == 0, run.stdout[-4000:]
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    images = written["sparkflows"]["sparkflows1"]["images"]
    assert [(i["id"], i["image"], i["tag"], i["expected_tag"], i["red"]) for i in images] \
        == [("scorer1/churn-model", image, "3.0.0", "3.1.0", True)]
    # The scorer itself does not answer (a stand-in): red as itself too.
    assert written["red"] == ["scorer1/churn-model", "sparkflows1/image/scorer1/churn-model"]
    assert "scorer1/churn-model: tag 3.0.0 is not 3.1.0" in (tmp_path / "report" / "report.html").read_text()
    # Limited to the scorer host: no Sparkflows row, no image judged.
    limited = report(tmp_path, emulator.url, "--limit", "scorer1", scorers={"scorer1": running_scorer})
    assert limited.returncode == 0, limited.stdout[-4000:]
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    assert (written["sparkflows"], written["red"]) == ({}, ["scorer1/churn-model"])
