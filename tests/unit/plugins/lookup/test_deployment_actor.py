"""deployment_actor: who runs a deployment - the AWX/AAP job (and who launched it), else the
controller's user@host."""

import getpass
import json
import os
import socket
import subprocess

import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.sparkflows.mlops.plugins.lookup.deployment_actor import LookupModule, actor


def test_an_awx_job_with_the_user_who_launched_it():
    assert actor({"awx_job_id": 42, "awx_user_name": "alice"}) == "AWX job 42 (launched by alice)"


def test_an_awx_job_without_a_user():
    assert actor({"awx_job_id": 42}) == "AWX job 42"


def test_a_tower_job():
    assert actor({"tower_job_id": "7", "tower_user_name": "bob"}) == "AWX job 7 (launched by bob)"


def test_the_controllers_user_at_host_outside_awx(monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "carol")
    monkeypatch.setattr(socket, "gethostname", lambda: "controller1")
    assert actor({}) == "carol@controller1"
    assert actor({"awx_user_name": "alice"}) == "carol@controller1"


def test_an_unknown_user_is_said_so(monkeypatch):
    def no_user():
        raise KeyError("getpwuid(): uid not found: 1234")
    monkeypatch.setattr(getpass, "getuser", no_user)
    monkeypatch.setattr(socket, "gethostname", lambda: "controller1")
    assert actor({}) == "unknown@controller1"


def test_the_lookup_templates_only_the_job_variables():
    variables = {"awx_job_id": trust_as_template("{{ 40 + 2 }}"), "awx_user_name": "alice",
                 "unrelated": trust_as_template("{{ undefined_variable }}")}
    plugin = LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    assert plugin.run([], variables=variables) == ["AWX job 42 (launched by alice)"]


EVENT = {"sparkflows_model": {"name": "churn-model", "version": 4, "stage": "Production"},
         "meta": {"source": {"name": "sparkflows.mlops.sparkflows_models", "type": "sparkflows.mlops.sparkflows_models"}}}


def test_a_run_a_rule_started_says_which_event_and_model(monkeypatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "eda")
    monkeypatch.setattr(socket, "gethostname", lambda: "controller1")
    eda = {"ruleset": "Sparkflows models", "rule": "New churn version", "event": EVENT}
    assert actor({"ansible_eda": eda}) == (
        "eda@controller1, triggered by event sparkflows.mlops.sparkflows_models (rule New churn version of ruleset "
        "Sparkflows models): churn-model version 4")
    assert actor({"awx_job_id": 9, "awx_user_name": "eda-controller", "ansible_eda": eda}).startswith(
        "AWX job 9 (launched by eda-controller), triggered by event sparkflows.mlops.sparkflows_models")


def test_an_mlflow_alias_event_names_the_alias():
    eda = {"ruleset": "MLflow", "rule": "Champion", "event": {
        "mlflow": {"event": "model_version_alias.created", "name": "churn", "version": "3", "alias": "champion"},
        "meta": {"source": {"name": "sparkflows.mlops.mlflow_webhook"}}}}
    assert actor({"awx_job_id": 1, "ansible_eda": eda}) == (
        "AWX job 1, triggered by event sparkflows.mlops.mlflow_webhook (rule Champion of ruleset MLflow): "
        "churn version 3 alias champion")


def test_another_sources_event_names_the_rule_only():
    eda = {"ruleset": "Alerts", "rule": "Disk full", "event": {"payload": {"x": 1}}}
    assert actor({"awx_job_id": 1, "ansible_eda": eda}) == "AWX job 1, triggered by event (rule Disk full of ruleset Alerts)"
    assert actor({"awx_job_id": 1, "ansible_eda": {"ruleset": "x"}}) == "AWX job 1"
    assert actor({"awx_job_id": 1, "ansible_eda": "not a mapping"}) == "AWX job 1"


def test_the_event_is_never_templated():
    # What an event carries is what its sender wrote (an MLflow tag, a description): the lookup
    # reads it as text. Templated, this would fail on the undefined variable.
    event = dict(EVENT, data={"description": trust_as_template("{{ undefined_variable }}")})
    variables = {"awx_job_id": "5", "ansible_eda": {"ruleset": "R", "rule": "X", "event": event}}
    plugin = LookupModule(loader=DataLoader(), templar=Templar(loader=DataLoader(), variables=variables))
    assert plugin.run([], variables=variables) == [
        "AWX job 5, triggered by event sparkflows.mlops.sparkflows_models (rule X of ruleset R): churn-model version 4"]


def test_an_event_as_ansible_rulebook_passes_it_runs_nothing_it_carries(tmp_path, repo_root):
    # ansible-rulebook and the EDA controller pass ansible_eda as extra variables, which
    # ansible-core trusts as templates: a lookup in an event's data must stay text.
    marker = tmp_path / "ran"
    (tmp_path / "eda.json").write_text(json.dumps({"ansible_eda": {"ruleset": "R", "rule": "X", "event": dict(
        EVENT, data={"description": "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker})}}))
    (tmp_path / "actor.yml").write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"ansible.builtin.debug": {"msg": "{{ lookup('sparkflows.mlops.deployment_actor') }}"}}]}]))
    done = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(tmp_path / "actor.yml"),
                           "-e", "@%s" % (tmp_path / "eda.json")], capture_output=True, text=True, timeout=120,
                          check=False, env=dict(os.environ, ANSIBLE_CONFIG=str(repo_root / "ansible.cfg")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "triggered by event sparkflows.mlops.sparkflows_models (rule X of ruleset R): churn-model version 4" \
        in done.stdout
    assert not marker.exists()
