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
