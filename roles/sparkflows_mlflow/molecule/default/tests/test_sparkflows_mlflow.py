"""Verify sparkflows_mlflow on the converged instance (testinfra): what Sparkflows (the emulator
on the instance) stores (the check-mode preview: molecule/resources/tests/)."""

import json

PASSWORD = "molecule-Mlfl0w-Passw0rd"


def shown(host):
    """The configuration as the API shows it (the emulator masks secrets, as a server may)."""
    answer = host.check_output("curl -fsS --max-time 10 -H 'token: admin-token' http://127.0.0.1:8080/api/v1/configurations")
    return dict((entry["name"], entry["value"]) for entry in json.loads(answer))


def stored(host):
    """The configuration as the emulator stores it, secrets in clear (its test control)."""
    return json.loads(host.check_output("curl -fsS --max-time 10 http://127.0.0.1:8080/_emulator/configurations"))


def test_the_mlflow_configuration_is_stored(host):
    configuration = stored(host)
    assert configuration["mlops.mlflow.trackingURL"] == "http://127.0.0.1:5000"
    assert configuration["mlops.mlflow.deploy.mode"] == "local"
    assert (configuration["mlops.mlflow.username"], configuration["mlops.mlflow.password"]) == ("mlflow", PASSWORD)
    assert shown(host)["mlops.mlflow.password"] == "********"


def test_local_mode_gives_no_ssh_access(host):
    assert not host.file("/home/sparkflows/.ssh/sparkflows_mlflow").exists
    assert "mlops.mlflow.ssh.key.path" not in stored(host) or not stored(host)["mlops.mlflow.ssh.key.path"]
