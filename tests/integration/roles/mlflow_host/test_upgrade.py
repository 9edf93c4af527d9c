"""mlflow_host upgrades MLflow 2 to 3 on PostgreSQL without losing anything, and a failed upgrade
leaves the old version serving with its data.

One systemd lab host runs both roles as site.yml would: mlflow_db (Debian's PostgreSQL, the
tracking and basic-auth databases) and mlflow_host, first with the newest MLflow 2 (profile
mlflow-2), which writes an experiment, a run with a parameter and a metric, a registered model
version and a basic-auth user. An upgrade to profile current whose migration fails (a table it
creates is there already) is undone: the backup restored, MLflow 2 serving its data, the run
failing with why. Then the upgrade to current succeeds and every one of them is still there."""

import json
import os
import pathlib
import subprocess
import uuid

import pytest
import yaml

from utils.docker import docker, run_systemd_host, wait_for_systemd
from utils.playbook import REPO_ROOT, recap_changed

IMAGE = "sfmlops/lab-host:bookworm"
ADMIN_PASSWORD = "Upgrade-Adm1n-Passw0rd"
DB_PASSWORD = "Upgrade-Db-Passw0rd"
FILES = pathlib.Path(__file__).resolve().parent / "files"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    name = "sfmlops-upgrade-%s" % uuid.uuid4().hex[:8]
    run_systemd_host(name, IMAGE)
    try:
        wait_for_systemd(name)
        docker("cp", str(FILES / "mlflow_data.py"), "%s:/usr/local/bin/mlflow_data.py" % name)
        yield name, tmp_path_factory.mktemp("upgrade")
    finally:
        docker("rm", "-f", "-v", name)


def site(host, profile, *args):
    """mlflow_db then mlflow_host on the host, as site.yml orders them."""
    name, directory = host
    inventory = directory / "inventory.yml"
    connection = {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "mlflow": {"hosts": {name: connection}}, "mlflow_db": {"hosts": {name: connection}}}}}))
    playbook = directory / "site.yml"
    playbook.write_text(yaml.safe_dump([
        {"name": "PostgreSQL of the stores", "hosts": "mlflow_db", "gather_facts": True,
         "roles": [{"role": "sparkflows.mlops.mlflow_db", "vars": {"mlflow_db_password": DB_PASSWORD}}]},
        {"name": "MLflow", "hosts": "mlflow", "gather_facts": True,
         "roles": [{"role": "sparkflows.mlops.mlflow_host", "vars": {
             "mlflow_host_profile": profile, "mlflow_host_admin_password": ADMIN_PASSWORD,
             "mlflow_host_install_jdk": False, "mlflow_host_pip_ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
             "mlflow_host_db_host": "127.0.0.1", "mlflow_host_db_password": DB_PASSWORD}}]},
    ]))
    ran = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(playbook), *args], capture_output=True, text=True,
        timeout=1200, check=False,
        env={"PATH": subprocess.os.environ["PATH"], "HOME": subprocess.os.environ["HOME"],
             "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"})
    if ran.returncode != 0:  # what the tracking server said, for the assertion's message
        journal = docker("exec", name, "journalctl", "-u", "mlflow-tracking", "--no-pager", "-n", "40").stdout
        ran = subprocess.CompletedProcess(ran.args, ran.returncode, ran.stdout + "\n" + journal, ran.stderr)
    return ran


def data(host, action):
    name, _directory = host
    ran = docker("exec", name, "/opt/mlflow/venv/bin/python", "/usr/local/bin/mlflow_data.py", action, "5000",
                 ADMIN_PASSWORD, timeout=300)
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-3000:]
    return json.loads(ran.stdout.strip().splitlines()[-1])


def psql(host, statement):
    name, _directory = host
    return docker("exec", name, "su", "postgres", "-c", "psql -v ON_ERROR_STOP=1 -d mlflow -c '%s'" % statement)


def test_mlflow_2_upgrades_to_3_keeping_everything_and_a_failed_upgrade_changes_nothing(host):
    first = site(host, "mlflow-2")
    assert first.returncode == 0, first.stdout[-5000:] + first.stderr[-2000:]
    written = data(host, "write")
    before = data(host, "read")
    assert before["mlflow"].startswith("2.22") and before["runs"][0]["id"] == written["run_id"], before
    assert (before["runs"][0]["params"], before["runs"][0]["metrics"], before["model_versions"], before["user"],
            before["reader_logs_in"]) == ({"alpha": "0.5"}, {"rmse": 0.25}, ["1"], "reader", 200), before

    # A table a migration of MLflow 3 creates is there already: the migration fails halfway.
    # (MLflow's own user owns it, as it would a table it made: its backup can read it.)
    assert psql(host, "CREATE TABLE secrets (id integer); ALTER TABLE secrets OWNER TO mlflow").returncode == 0
    failed = site(host, "current")
    assert failed.returncode != 0
    message = " ".join(failed.stdout.split("The upgrade of MLflow on ", 1)[1].split('"}')[0].split())
    assert 'failed at "Migrate the backend store with the new version":' in message, message
    assert "secrets" in message and "already exists" in message, message
    assert "The stores were restored from /var/backups/mlflow/" in message, message
    assert message.endswith("and the previous version serves again."), message
    assert data(host, "read") == before  # MLflow 2 serves, with everything
    assert psql(host, "DROP TABLE secrets").returncode == 0

    upgraded = site(host, "current")
    assert upgraded.returncode == 0, upgraded.stdout[-5000:] + upgraded.stderr[-2000:]
    after = data(host, "read")
    assert after["mlflow"].startswith("3.17"), after
    assert dict(after, mlflow=None) == dict(before, mlflow=None)
    name, _directory = host
    backups = docker("exec", name, "sh", "-c", "ls /var/backups/mlflow/*/").stdout.split()
    assert "tracking.dump" in backups and "auth.dump" in backups, backups
    assert ADMIN_PASSWORD not in upgraded.stdout and DB_PASSWORD not in upgraded.stdout

    again = site(host, "current")
    assert again.returncode == 0 and recap_changed(again.stdout) == 0, again.stdout[-4000:]
