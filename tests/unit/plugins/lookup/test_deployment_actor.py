"""deployment_actor: who runs a deployment - the AWX/AAP job (and who launched it), else the
controller's user@host."""

import getpass
import socket

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
