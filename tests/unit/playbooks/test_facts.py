"""Facts are gathered once, and only the subsets the collection reads: no play gathers every fact
(hardware, virtualisation, mounts cost seconds a host and are never read). A play gathers
nothing, or names its subsets with "!all" first; the facts the roles read of other hosts
(network addresses) are gathered by the roles where missing."""

import pathlib

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
PLAYS = [(path.name, play) for path in sorted((REPO_ROOT / "playbooks").glob("*.yml"))
         for play in yaml.safe_load(path.read_text()) or [] if "hosts" in play]


@pytest.mark.parametrize("playbook, play", PLAYS, ids=["%s: %s" % (name, play["name"]) for name, play in PLAYS])
def test_a_play_gathers_no_facts_or_only_the_subsets_named(playbook, play):
    # A play without the keyword gathers every fact (Ansible's default).
    assert "gather_facts" in play, "%s: %s gathers every fact" % (playbook, play["name"])
    if play["gather_facts"]:
        assert (play.get("gather_subset") or [None])[0] == "!all", play


def test_the_balancers_addresses_are_gathered_for_the_scorers_firewall():
    balancers = dict(PLAYS)["scorer_lb.yml"]
    assert balancers["gather_facts"] and "network" in balancers["gather_subset"]
    firewall = (REPO_ROOT / "roles" / "scorer" / "tasks" / "firewall.yml").read_text()
    # The role gathers a balancer's network facts only when it has no address yet (scorer_fleet).
    assert "item.addresses | length == 0" in firewall
