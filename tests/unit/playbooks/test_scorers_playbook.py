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


def run_playbook(tmp_path, inventory, playbook, *extra):
    (tmp_path / "hosts.yml").write_text(inventory)
    return subprocess.run(["ansible-playbook", "-i", str(tmp_path / "hosts.yml"), str(playbook)] + list(extra),
                          capture_output=True, text=True, timeout=180, check=False,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")))


RENAMED = """all:
  children:
    web: {hosts: {web1: {ansible_connection: local}}}
    edge: {hosts: {edge1: {ansible_connection: local}}}
    scorers: {hosts: {s1: {ansible_connection: local}}}
    scorer_lbs: {hosts: {lb1: {ansible_connection: local}}}
"""


def plays_hosts(listing):
    """{play name: [hosts]} from ansible-playbook --list-hosts."""
    plays, name = {}, None
    for line in listing.splitlines():
        if line.strip().startswith("play #"):
            name = line.split(":", 1)[1].split("\tTAGS")[0].strip()
            plays[name] = []
        elif name and line.startswith("      ") and line.strip():
            plays[name].append(line.strip())
    return plays


def test_the_playbooks_play_on_the_groups_the_extra_variables_name(tmp_path):
    renamed = ["-e", '{"scorer_lb_scorer_group": "web", "scorer_balancer_group": "edge"}']
    for playbook, play, default, named in [
            ("scorer_lb.yml", "Scorer balancers", ["lb1"], ["edge1"]),
            ("scorers.yml", "Standalone Docker scorers - the plan", ["s1"], ["web1"]),
            ("rollback.yml", "Roll the scorers back", ["s1"], ["web1"]),
            ("report.yml", "Report - the Docker scorers", ["s1"], ["web1"]),
            ("report.yml", "Report - the scorer balancers", ["lb1"], ["edge1"]),
            ("preflight.yml", "Preflight - managed hosts are ready for sparkflows.mlops", ["lb1", "s1"], ["edge1", "web1"])]:
        for extra, expected in (([], default), (renamed, named)):
            listed = run_playbook(tmp_path, RENAMED, REPO_ROOT / "playbooks" / playbook, "--list-hosts", *extra)
            assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
            assert sorted(plays_hosts(listed.stdout)[play]) == expected, (playbook, extra, listed.stdout)


ROLE_VALIDATE = """- hosts: {host}
  gather_facts: false
  tasks:
    - ansible.builtin.import_role:
        name: sparkflows.mlops.{role}
        tasks_from: validate
"""


def test_role_scorer_refuses_a_host_the_balancers_do_not_serve(tmp_path):
    # A host of group web while the balancers serve group scorers: the name was set in the
    # inventory only, or the host is missing from the group.
    (tmp_path / "play.yml").write_text(ROLE_VALIDATE.format(host="web1", role="scorer"))
    ran = run_playbook(tmp_path, RENAMED, tmp_path / "play.yml")
    assert ran.returncode == 2, ran.stdout[-2000:]
    assert "web1 is not in group scorers, the scorer hosts the balancers of group scorer_lbs serve" in ran.stdout
    assert "Nothing was changed" in ran.stdout
    # Named as an extra variable, the host passes (and the next check, of the connection, fails).
    ran = run_playbook(tmp_path, RENAMED, tmp_path / "play.yml", "-e", "scorer_lb_scorer_group=web")
    assert "is not in group" not in ran.stdout
    assert "Check the Sparkflows connection is set" in ran.stdout


def test_role_scorer_lb_refuses_a_host_the_scorer_hosts_do_not_know(tmp_path):
    (tmp_path / "play.yml").write_text(ROLE_VALIDATE.format(host="edge1", role="scorer_lb"))
    ran = run_playbook(tmp_path, RENAMED, tmp_path / "play.yml")
    assert ran.returncode == 2, ran.stdout[-2000:]
    assert "edge1 is not in group scorer_lbs, the balancers the scorer hosts of group scorers know" in ran.stdout
    ran = run_playbook(tmp_path, RENAMED, tmp_path / "play.yml", "-e", "scorer_balancer_group=edge")
    assert "is not in group" not in ran.stdout
    assert "The balancers need at least one model in scorer_models of the hosts of group" in ran.stdout
