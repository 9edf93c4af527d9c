"""playbooks/scorers.yml on an inventory without scorer hosts or balancers (an MLflow-only site,
site.yml imports it): every play matches no host, and the run succeeds - the rollout play's
templated hosts need no group to exist."""

import os
import pathlib
import subprocess

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_an_inventory_without_scorers_runs_no_play_and_succeeds(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    mlflow1: {ansible_connection: local}\n")
    ran = subprocess.run(["ansible-playbook", "-i", str(inventory), str(REPO_ROOT / "playbooks" / "scorers.yml")],
                         capture_output=True, text=True, timeout=120, check=False,
                         env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")))
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert ran.stdout.count("skipping: no hosts matched") == 3, ran.stdout
