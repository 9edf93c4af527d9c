"""The EXAMPLES of the modules, as ansible-doc renders them, work as written: each example's
hosts and paths are replaced by the test's own (the emulator on a free port instead of
Sparkflows' default 127.0.0.1:8080 or sparkflows.example.net, the test registry, tmp_path), so
that nothing else listening on a default port (or a second test run) can make them pass or fail.

ssh_check and ssh_private_key need two SSH hosts and a key vault: their EXAMPLES run in
tests/integration/roles/sparkflows_mlflow/test_remote_mode.py, on its lab hosts and OpenBao."""

import hashlib
import os

import pytest

from emulator.fixtures import ADMIN_PASSWORD, ADMIN_TOKEN, start_emulator
from emulator.models import make_model_zip
from utils.docker import docker
from utils.examples import example_tasks
from utils.playbook import run_playbook
from utils.ports import free_port

EXAMPLE_URL = "http://127.0.0.1:8080"
EXAMPLE_TLS_URL = "https://sparkflows.example.net:8443"
EXAMPLE_REGISTRY = "registry.example.net/sparkflows/scorer"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    state = tmp_path_factory.mktemp("examples") / "state.json"
    models = state.parent / "models"
    models.mkdir()
    for model_id in (101, 102):
        make_model_zip(models / ("%d.zip" % model_id))
    port, process = start_emulator(state)
    yield "http://127.0.0.1:%d" % port, hashlib.sha256((models / "101.zip").read_bytes()).hexdigest()
    process.kill()
    process.wait(timeout=10)


def run_examples(tmp_path, module, replacements, extra_vars, args=()):
    examples = example_tasks(module, replacements)
    result = run_playbook(tmp_path, examples, extra_vars=extra_vars, args=args)
    assert result.rc == 0, result.stdout[-4000:]
    assert len(result.results) == len(examples)
    assert all(not task.get("failed") for task in result.results)
    return result


@pytest.mark.parametrize("module", ["sparkflows_info", "mlflow_config", "sparkflows_workflow", "sparkflows_model_fetch",
                                    "sparkflows_model_info"])
def test_sparkflows_examples_run_as_written(tmp_path, emulator, module):
    url, sha256 = emulator
    replacements = {EXAMPLE_URL: url}
    if module in ("sparkflows_model_fetch", "sparkflows_model_info"):
        replacements["/tmp/"] = "%s/" % tmp_path
    run_examples(tmp_path, "sparkflows.mlops." + module, replacements, {
        "sparkflows_token": ADMIN_TOKEN, "sparkflows_password": ADMIN_PASSWORD,
        "mlflow_password": "Example-Passw0rd", "churn_model_sha256": sha256})
    if module == "sparkflows_model_fetch":
        assert (tmp_path / "model-101" / "model_bundle" / "requirements.txt").is_file()


def test_scorer_container_examples_run_as_written(tmp_path, emulator, scorer_registry, request):
    url, _sha256 = emulator
    request.addfinalizer(lambda: docker("rm", "-f", "scorer-churn-model", "scorer-churn-model-candidate"))
    port = free_port()
    result = run_examples(tmp_path, "sparkflows.mlops.scorer_container", {
        EXAMPLE_TLS_URL: url, EXAMPLE_REGISTRY: scorer_registry.repository, "registry_username: puller":
        "registry_username: %s" % scorer_registry.username, "/srv/sparkflows-scorer/": "%s/" % tmp_path,
        "host_port: 8081": "host_port: %d" % port,
    }, {"sparkflows_api_token": ADMIN_TOKEN, "registry_password": scorer_registry.password,
        "scorer_db_password": "Db-Examp1e-S3cret", "feature_store_dsn": "fs://Examp1e-Dsn-S3cret"})
    scored, with_secrets, removed = result.results[2], result.results[3], result.results[4]
    assert scored["changed"] and scored["container"]["name"] == "scorer-churn-model", scored
    assert with_secrets["changed"], with_secrets
    assert "Db-Examp1e-S3cret" not in result.stdout and "Examp1e-Dsn-S3cret" not in result.stdout
    assert removed["changed"]


def test_os_packages_examples_run_as_written_in_check_mode(tmp_path):
    """In check mode: this machine is not a test host to install packages on."""
    result = run_examples(tmp_path, "sparkflows.mlops.os_packages", {}, {}, args=["--check"])
    assert all(isinstance(task["installed"], list) for task in result.results), result.results


def test_scorer_info_examples_run_as_written(tmp_path, scorer_registry, request):
    name = "sfmlops-examples-info-%d" % os.getpid()
    request.addfinalizer(lambda: docker("rm", "-f", name))
    model = make_model_zip(tmp_path / "model.zip")
    started = run_playbook(tmp_path, [{"name": "A scorer to read", "sparkflows.mlops.scorer_container": {
        "name": name, "image": scorer_registry.repository, "sparkflows_release": "3.1.0",
        "registry_username": scorer_registry.username, "registry_password": scorer_registry.password,
        "model_path": str(model), "model_id": "101", "host_port": free_port(), "bind_address": "127.0.0.1"}}])
    assert started.rc == 0, started.stdout[-3000:]
    result = run_examples(tmp_path, "sparkflows.mlops.scorer_info", {"sparkflows-scorer-churn-model": name}, {})
    everything, churn = result.results[0], result.results[1]
    assert name in [s["name"] for s in everything["scorers"]]
    scorer = churn["scorers"][0]
    assert (scorer["healthy"], scorer["model_id"], scorer["release"], scorer["score"]["status"]) \
        == (True, "101", "3.1.0", 200), scorer


def test_port_owners_info_examples_run_as_written(tmp_path):
    # A free port instead of MLflow's 5000: nothing of this machine may make the example fail.
    result = run_examples(tmp_path, "sparkflows.mlops.port_owners_info", {"5000:": "%d:" % free_port()}, {})
    assert result.results[0]["conflicts"] == [] and result.results[0]["owners"] == []
