"""Role mlflow_host's tracking.env (the tracking server's environment): MLflow 3's server jobs
are off unless mlflow_host_job_execution asks for them (then MLflow's own default, on, holds)."""

import jinja2
import pytest

from utils.lab import REPO_ROOT

TEMPLATES = REPO_ROOT / "roles" / "mlflow_host" / "templates"


def tracking_env(job_execution):
    """tracking.env as the role writes it on a plain host (SQLite, no auth), as {name: value}."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined)
    text = environment.get_template("tracking.env.j2").render(
        ansible_managed="Ansible managed", mlflow_host_config_dir="/etc/mlflow",
        _mlflow_host_stores_={"environment": {}}, _mlflow_host_ports_={"allowed_hosts": []},
        _mlflow_host_={"job_execution": job_execution, "webhook_allow_private_ips": False, "auth_enabled": False})
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


@pytest.mark.parametrize("job_execution, written", [(False, {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}),
                                                    (True, {})])
def test_server_jobs_are_off_unless_asked_for(job_execution, written):
    assert tracking_env(job_execution) == written
