"""Verify the MLflow host stack with real clients, on the converged lab host (testinfra)."""

import json
import time

ADMIN = ("admin", "molecule-Adm1n-Passw0rd")
VENV = "/opt/mlflow/venv"
TRACKING = "http://127.0.0.1:5000"


def curl_status(host, url, user=None, data=None):
    command = "curl -s -o /dev/null -w '%%{http_code}' --max-time 10 %s" % url
    if user:
        command += " -u '%s:%s'" % user
    if data:
        command += " -H 'Content-Type: application/json' -d '%s'" % data
    return host.run(command).stdout.strip()  # "000" while nothing answers


def wait_healthy(host, seconds=120):
    for _attempt in range(seconds):
        if curl_status(host, TRACKING + "/health") == "200":
            return True
        time.sleep(1)
    return False


def test_services_enabled_and_running(host):
    assert wait_healthy(host), "mlflow-tracking does not answer /health"
    for unit in ("mlflow-tracking", "mlflow-model@molecule-model"):
        service = host.service(unit)
        assert service.is_enabled, unit
        assert service.is_running, unit
    assert host.socket("tcp://0.0.0.0:5000").is_listening
    assert host.socket("tcp://0.0.0.0:5001").is_listening


def test_runs_as_the_mlflow_user_with_a_jdk(host):
    pid = host.check_output("systemctl show -p MainPID --value mlflow-tracking")
    assert host.check_output("ps -o user= -p %s" % pid) == "mlflow"
    assert "openjdk" in host.run("java -version").stderr.lower()


def test_the_tracking_server_runs_no_server_jobs_by_default(host):
    """MLflow 3 starts a job runner and a dozen Huey consumers beside the server unless told not to
    (mlflow_host_job_execution: false, the default): none runs, the server itself does."""
    assert wait_healthy(host), "mlflow-tracking does not answer /health"
    pid = host.check_output("systemctl show -p MainPID --value mlflow-tracking")
    server = host.check_output("ps -o args= -p %s" % pid)
    assert "mlflow server" in server, server
    everything = host.check_output("ps -eo args=")
    assert "huey" not in everything and "_job_runner" not in everything, everything


def test_profile_pins_are_installed(host):
    assert host.check_output(VENV + "/bin/python -c 'import mlflow; print(mlflow.__version__)'") == "3.17.0"


def test_secret_files_are_root_only(host):
    for name in ("tracking.env", "secret.env", "webhook.env", "client.env", "models/molecule-model.env"):
        secret = host.file("/etc/mlflow/" + name)
        assert (secret.user, secret.group, secret.mode) == ("root", "root", 0o600), name
    # MLflow 2 reads the admin password from the basic-auth configuration only: MLflow's user's, 0600.
    auth = host.file("/etc/mlflow/basic_auth.ini")
    assert (auth.user, auth.group, auth.mode) == ("mlflow", "mlflow", 0o600)
    assert "Ansible managed" in host.file("/etc/systemd/system/mlflow-tracking.service").content_string


def test_basic_auth_rejects_a_wrong_password(host):
    url = TRACKING + "/api/2.0/mlflow/experiments/search?max_results=1"
    assert curl_status(host, url) == "401"
    assert curl_status(host, url, ("admin", "wrong-password")) == "401"
    assert curl_status(host, url, ADMIN) == "200"


def test_python_client_logs_a_run_and_registers_a_model(host):
    script = (
        "import mlflow; from sklearn.linear_model import LinearRegression; "
        "m = LinearRegression().fit([[1.0], [2.0]], [3.0, 5.0]); "
        "run = mlflow.start_run(); mlflow.log_metric('rmse', 0.5); "
        "mlflow.sklearn.log_model(m, name='model', registered_model_name='verify-model'); mlflow.end_run(); "
        "c = mlflow.MlflowClient(); "
        "print(c.get_run(run.info.run_id).data.metrics['rmse'], c.get_registered_model('verify-model').name)"
    )
    out = host.check_output(
        "MLFLOW_TRACKING_URI=%s MLFLOW_TRACKING_USERNAME=%s MLFLOW_TRACKING_PASSWORD=%s %s/bin/python -c \"%s\""
        % (TRACKING, ADMIN[0], ADMIN[1], VENV, script))
    assert out.splitlines()[-1] == "0.5 verify-model"


def test_served_model_predicts(host):
    answer = host.check_output(
        "curl -s --max-time 30 -H 'Content-Type: application/json' -d '{\"inputs\": [[4.0]]}' "
        "http://127.0.0.1:5001/invocations")
    predictions = json.loads(answer)["predictions"]
    assert abs(predictions[0] - 8.0) < 1e-6


def test_tracking_server_comes_back_after_kill(host):
    before = host.check_output("systemctl show -p MainPID --value mlflow-tracking")
    host.run_expect([0], "systemctl kill mlflow-tracking")
    time.sleep(1)
    assert wait_healthy(host), "mlflow-tracking did not come back within 120 s"
    assert host.check_output("systemctl show -p MainPID --value mlflow-tracking") != before


def test_fire_mlops_server_runs_beside_mlflow_on_8086(host):
    service = host.service("fire-mlops")
    assert service.is_enabled and service.is_running
    pid = host.check_output("systemctl show -p MainPID --value fire-mlops")
    assert host.check_output("ps -o user= -p %s" % pid) == "mlflow"
    answer = json.loads(host.check_output("curl -s --max-time 10 http://127.0.0.1:8086/"))
    assert answer["properties"]["http.port"] == "8086"
    assert answer["properties"]["mlops.models.state.values"] == "Dev,QA,Production"
    assert answer["tracking_uri"] == TRACKING
    assert host.file("/opt/fire-mlops/current").is_symlink
