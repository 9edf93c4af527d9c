"""Role sparkflows_mlflow (playbooks/sparkflows_mlflow.yml, as a user runs it) against the
Sparkflows emulator, every host this machine (connection local, no Docker): the S3 registry store
comes from the MLflow host's own variables when its artifacts go to s3://, or from the role's
when set; the deployment target is checked before anything changes; no secret is ever shown."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from utils.lab import REPO_ROOT

S3_ACCESS = "Lab-Acc3ss-Key-6601"
S3_SECRET = "Lab-S3cret-Key-6602"
KF_PASSWORD = "Kub3flow-Passw0rd-6603"
SECRETS = (S3_ACCESS, S3_SECRET, KF_PASSWORD)
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
MLFLOW_S3 = {"mlflow_host_artifacts_destination": "s3://mlflow-artifacts/runs",
             "mlflow_host_s3_endpoint_url": "https://minio.lab:9000", "mlflow_host_s3_access_key": S3_ACCESS,
             "mlflow_host_s3_secret_key": S3_SECRET, "mlflow_host_s3_validate_certs": "no"}
KUBEFLOW = {"namespace": "sparkflows", "docker_registry": "registry.lab:5000", "docker_context_path": "/usr/local/mlops",
            "fire_server_jar_name": "fire.jar", "container_port": "5000", "service_port": 80,
            "service_target_port": "5000", "username": "kf", "password": KF_PASSWORD}
BASE = {"sparkflows_mlflow_tracking_url": "http://mlflow1:5000", "sparkflows_mlflow_deploy_mode": "local",
        "sparkflows_mlflow_check_reachability": "false", "sparkflows_mlflow_api_delegate_to": "localhost"}


def stored(emulator):
    return {item["name"]: item["value"] for item in json.loads(emulator.state_bytes() or b"[]")}


def play(tmp_path, emulator, mlflow_vars, role_vars, *args):
    """playbooks/sparkflows_mlflow.yml on sparkflows1 with mlflow1 (whose variables are
    mlflow_vars) in group mlflow; role_vars as a JSON -e file, then args (-e key=value text)."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": dict(LOCAL, sparkflows_api_url=emulator.url, sparkflows_api_token="admin-token"),
        "children": {"sparkflows": {"hosts": {"sparkflows1": {}}}, "mlflow": {"hosts": {"mlflow1": mlflow_vars}}},
    }}))
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(BASE, **role_vars)))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_DEPRECATION_WARNINGS="0",
               PATH="%s:%s" % (os.path.dirname(sys.executable), os.environ.get("PATH", "")))
    run = subprocess.run(["ansible-playbook", "-i", str(inventory), str(REPO_ROOT / "playbooks" / "sparkflows_mlflow.yml"),
                          "-e", "@%s" % extra, "--diff", "-vvv", *args],
                         capture_output=True, text=True, timeout=300, env=env, check=False)
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr, "a secret is shown"
    return run


def recap(run):
    return run.stdout.split("PLAY RECAP")[-1]


@pytest.fixture
def sparkflows(emulator):
    emulator.control("variant", {"unknown_keys": "drop"})  # a key the server does not define would fail
    return emulator


def test_the_mlflow_hosts_s3_store_and_a_kubeflow_target_are_written_then_kept(tmp_path, sparkflows):
    role_vars = {"sparkflows_mlflow_deployment_target": "kubeflow", "sparkflows_mlflow_kubeflow": KUBEFLOW,
                 "sparkflows_mlflow_update_password": "on_create"}
    first = play(tmp_path, sparkflows, MLFLOW_S3, role_vars)
    assert first.returncode == 0, first.stdout[-4000:]
    after = stored(sparkflows)
    assert {key: after[key] for key in ("mlops.aws.s3.access.key", "mlops.aws.s3.secret.key",
                                        "mlops.aws.s3.endpoint.url", "mlops.aws.s3.ignore.tls")} == {
        "mlops.aws.s3.access.key": S3_ACCESS, "mlops.aws.s3.secret.key": S3_SECRET,
        "mlops.aws.s3.endpoint.url": "https://minio.lab:9000", "mlops.aws.s3.ignore.tls": "true"}
    assert (after["mlops.target.deployment"], after["mlops.deployment.container.port"], after["mlops.service.port"],
            after["mlops.kubeflow.password"]) == ("kubeflow", "5000", "80", KF_PASSWORD)
    assert '+    "mlops.aws.s3.secret.key": "********"' in first.stdout

    # The emulator shows the secrets masked; on_create keeps them: nothing to change.
    second = play(tmp_path, sparkflows, MLFLOW_S3, role_vars)
    assert second.returncode == 0 and "changed=0" in recap(second), second.stdout[-4000:]
    assert stored(sparkflows) == after


def test_no_s3_store_unless_the_mlflow_host_uses_one_or_it_is_set(tmp_path, sparkflows):
    local_artifacts = dict(MLFLOW_S3, mlflow_host_artifacts_destination="/var/lib/mlflow/artifacts")
    first = play(tmp_path, sparkflows, local_artifacts, {})
    assert first.returncode == 0, first.stdout[-4000:]
    assert not any(key.startswith("mlops.aws.s3.") for key in stored(sparkflows))

    # Set on the role, as -e text: written, ignore TLS with them.
    second = play(tmp_path, sparkflows, local_artifacts, {}, "-e", "sparkflows_mlflow_s3_endpoint_url=minio.lab:9000",
                  "-e", "sparkflows_mlflow_s3_ignore_tls=false")
    assert second.returncode == 0, second.stdout[-4000:]
    after = stored(sparkflows)
    assert (after["mlops.aws.s3.endpoint.url"], after["mlops.aws.s3.ignore.tls"]) == ("minio.lab:9000", "false")
    assert "mlops.aws.s3.access.key" not in after and "mlops.aws.s3.secret.key" not in after


def test_another_targets_options_fail_before_anything_changes(tmp_path, sparkflows):
    before = sparkflows.state_bytes()
    run = play(tmp_path, sparkflows, MLFLOW_S3, {
        "sparkflows_mlflow_deployment_target": "kubeflow", "sparkflows_mlflow_kubeflow": KUBEFLOW,
        "sparkflows_mlflow_sagemaker": {"region": "us-east-1"}})
    assert run.returncode != 0
    assert ("deployment_target is kubeflow, so the options of sagemaker are refused: sagemaker.region. Set "
            "deployment_target to the target they configure, or remove them") in run.stdout
    assert "TASK [sparkflows.mlops.sparkflows_mlflow : Check the deployment target's options]" in run.stdout
    assert "Set Administration > Configuration > MLflow" not in run.stdout
    assert [r for r in sparkflows.requests() if r["method"] == "POST"] == []
    assert sparkflows.state_bytes() == before
