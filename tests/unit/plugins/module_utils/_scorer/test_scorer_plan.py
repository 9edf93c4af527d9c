"""The rollout plan from what the plan's play read on each host: registered results shaped as
Ansible registers a loop (sparkflows_model_fetch over the models, scorer_container over the run
items of the models whose copy is current); and the run items, from a fetch or a rollback."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.plan import (
    PlanError, deploy_items, host_plan, host_reads, rollout_plan, run_item)


def fetched(name, changed):
    return {"item": {"name": name}, "changed": changed}


def run(name, changed, container_id="c0ffee", recreated=False, fields=()):
    return {"item": {"name": name}, "changed": changed, "recreated": recreated,
            "changed_fields": list(fields), "container": {"id": container_id}}


def reads(fetch=(), runs=(), orphans=(), preview_only=False):
    return {"fetched": list(fetch), "run": list(runs), "orphans": list(orphans), "preview_only": preview_only}


def host_vars(fetch=(), runs=(), orphans=(), preview_only=False):
    """A host's variables after role scorer's plan tasks, as hostvars gives them: registered
    results (a skipped task's too) and the orphans fact."""
    skipped = {"skipped": True, "changed": False, "false_condition": "not _scorer_preview_only_"}
    found = {"scorer_present": skipped if preview_only else {"changed": False, "scorers": []},
             "scorer_fetched": {"changed": any(r["changed"] for r in fetch), "results": list(fetch)},
             "scorer_orphans": list(orphans)}
    if not preview_only:
        found["scorer_run"] = {"changed": any(r["changed"] for r in runs), "results": list(runs)}
    return found


def test_a_host_with_nothing_to_change_keeps_every_scorer_and_does_not_roll():
    plan = host_plan(reads([fetched("churn", False)], [run("churn", False)]))
    assert plan["keep"] == ["churn"] and plan["why"] == {} and plan["rolls"] is False


def test_each_change_is_named_with_why():
    plan = host_plan(reads(
        [fetched("churn", True), fetched("upsell", False), fetched("fraud", False), fetched("risk", False)],
        [run("upsell", True, container_id=None, fields=["image_id", "labels"]),
         run("fraud", True, recreated=True, fields=["image_id"]), run("risk", True, fields=["memory"])],
        [{"container": "scorer-old", "scorer": "old", "leftover": False},
         {"container": "scorer-risk-candidate", "scorer": "risk-candidate", "leftover": True}]))
    assert (plan["fetch"], plan["create"], plan["replace"], plan["update"]) == (["churn"], ["upsell"], ["fraud"], ["risk"])
    assert plan["remove"] == ["scorer-old", "scorer-risk-candidate"] and plan["keep"] == []
    assert plan["why"] == {
        "churn": "its model file is missing or not the record in Sparkflows: downloaded, its scorer run on it",
        "upsell": "no scorer runs it yet: created",
        "fraud": "its scorer differs (image_id): replaced blue/green",
        "risk": "its scorer differs (memory): updated in place",
        "scorer-old": "its model is no longer listed in scorer_models: removed with its model file",
        "scorer-risk-candidate": "a blue/green leftover of an earlier run: removed"}
    assert plan["rolls"] is True


def test_removals_alone_do_not_roll_the_host():
    # They happen in the plan's play: the model's balancer entries went with the inventory.
    plan = host_plan(reads([fetched("churn", False)], [run("churn", False)],
                           [{"container": "scorer-old", "scorer": "old", "leftover": False}]))
    assert plan["remove"] == ["scorer-old"] and plan["rolls"] is False


def test_skipped_and_failed_results_change_nothing():
    plan = host_plan(reads([dict(fetched("churn", True), skipped=True)], [dict(run("upsell", True), failed=True)]))
    assert plan["fetch"] == [] and plan["keep"] == ["upsell"] and plan["rolls"] is False


def test_a_preview_that_could_not_read_the_scorers_rolls_nothing_but_names_the_fetches():
    plan = host_plan(reads([fetched("churn", True)], preview_only=True))
    assert plan["fetch"] == ["churn"] and plan["preview_only"] is True and plan["rolls"] is False


@pytest.mark.parametrize("bad", [{}, {"scorer_fetched": None}, {"scorer_fetched": {"results": "x"}}])
def test_a_host_without_reads_is_named(bad):
    with pytest.raises(PlanError, match="^scorer host s1 has no reads to plan from"):
        host_reads("s1", bad)


def test_the_fleet_rolls_the_changing_hosts_in_order_the_first_the_canary():
    hosts = ["s1", "s2", "s3"]
    hostvars = {"s1": host_vars([fetched("churn", False)], [run("churn", False)]),
                "s2": host_vars([fetched("churn", True)]),
                "s3": host_vars([fetched("churn", False)], [run("churn", True, recreated=True, fields=["env"])]),
                "lb1": {}}
    plan = rollout_plan(hosts, hostvars, canary=True, balancers=["lb1", "lb2"])
    assert plan["rolling"] == ["s2", "s3"] and plan["steady"] == ["s1"] and plan["canary"] == "s2"
    assert plan["balancers"] == {"lb1": {"drain_in_turn": ["s2", "s3"], "canary": "s2"},
                                 "lb2": {"drain_in_turn": ["s2", "s3"], "canary": "s2"}}
    assert plan["summary"] == [
        "s2 (the canary) rolls; churn: its model file is missing or not the record in Sparkflows: downloaded, its scorer run on it",
        "s3 rolls; churn: its scorer differs (env): replaced blue/green",
        "1 of 3 scorer hosts do not roll (verified in place): s1"]


@pytest.mark.parametrize("canary, balancers", [(False, ["lb1"]), (True, [])])
def test_no_canary_without_scorer_canary_or_balancers(canary, balancers):
    plan = rollout_plan(["s1"], {"s1": host_vars([fetched("churn", True)])}, canary=canary, balancers=balancers)
    assert plan["rolling"] == ["s1"] and plan["canary"] is None


def test_nothing_to_change_anywhere_rolls_nobody():
    steady = host_vars([fetched("churn", False)], [run("churn", False)])
    plan = rollout_plan(["s1", "s2"], {"s1": steady, "s2": steady}, canary=True, balancers=["lb1"])
    assert (plan["rolling"], plan["canary"], plan["steady"]) == ([], None, ["s1", "s2"])
    assert plan["summary"] == ["2 of 2 scorer hosts do not roll (verified in place): s1, s2"]


def test_a_host_missing_from_hostvars_or_without_the_plan_s_reads_is_named():
    with pytest.raises(PlanError, match="scorer host s2 is not in hostvars"):
        rollout_plan(["s1", "s2"], {"s1": host_vars()})
    with pytest.raises(PlanError, match="scorer host s1 has no reads to plan from"):
        rollout_plan(["s1"], {"s1": {"scorer_present": {}}})


def test_the_reads_are_taken_from_the_registered_results():
    fetch, runs = [fetched("churn", True)], [run("upsell", False)]
    assert host_reads("s1", host_vars(fetch, runs)) == reads(fetch, runs)
    # A preview that could not read the scorers: scorer_present skipped, run.yml never included.
    assert host_reads("s1", host_vars(fetch, preview_only=True)) == reads(fetch, preview_only=True)
    # A check-mode run skipped as a whole counts as none.
    skipped_run = dict(host_vars(fetch), scorer_run={"skipped": True})
    assert host_reads("s1", skipped_run)["run"] == []


def test_a_run_item_takes_no_env_and_only_a_rollback_s_image():
    model = {"name": "churn", "model_id": 101, "host_port": 8081, "lb_port": 9081, "memory": "1g", "sample": {"a": 1},
             "env": {"TOKEN": "secret-value"}, "checksum": "sha256:x"}
    assert run_item(model, "/m/churn.zip", "101", "ab" * 32) == {
        "name": "churn", "host_port": 8081, "memory": "1g", "sample": {"a": 1},
        "model_path": "/m/churn.zip", "model_id": "101", "model_sha256": "ab" * 32}
    assert run_item(model, "/m/k.zip", "100", "", "sha256:" + "1" * 64, "3.0.0")["image_digest"] == "sha256:" + "1" * 64
    assert run_item(model, "/m/k.zip", "100", "")["model_sha256"] is None


def test_the_deploy_items_are_the_fetch_results_models_and_files():
    fetched = [{"item": {"name": "churn", "host_port": 8081, "env": {}}, "path": "/m/churn.zip", "model_id": "101",
                "sha256": "cd" * 32, "changed": True}]
    assert deploy_items(fetched) == [{"name": "churn", "host_port": 8081, "model_path": "/m/churn.zip",
                                      "model_id": "101", "model_sha256": "cd" * 32}]


@pytest.mark.parametrize("bad", [None, "x", [{"path": "/m"}], [None]])
def test_deploy_items_refuse_what_is_no_fetch_result(bad):
    with pytest.raises(PlanError, match="sparkflows_model_fetch results"):
        deploy_items(bad)
