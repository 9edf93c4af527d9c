"""The scorer_container replacement strategy against a fake Engine and a fake health gate: which
engine calls each case makes, in which order, and what is left serving when a step fails."""

import copy

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.container import Scorer
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.engine import EngineError
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.options import ARGUMENT_SPEC, ScorerError

REPOSITORY = "registry.example.net/sparkflows/scorer"
REFERENCE = REPOSITORY + ":3.1.0"
MUTATING = ("create", "start", "update", "rename", "stop", "restart_stopped", "remove", "pull")


class FakeEngine(object):
    """The Engine interface over an in-memory set of containers, recording every call."""

    def __init__(self):
        self.images = {REFERENCE: {"Id": "sha256:image-1", "RepoDigests": []}}
        self.containers = {}
        self.calls = []
        self.refuse_start = set()
        self.made = 0

    def _find(self, key):
        for record in self.containers.values():
            if key in (record["Id"], record["Name"].lstrip("/")):
                return record
        return None

    def inspect(self, key):
        record = self._find(key)
        return copy.deepcopy(record) if record else None

    def local_image(self, reference):
        return self.images.get(reference)

    def remote_digest(self, reference):
        self.calls.append(("remote_digest", reference))
        return "sha256:digest"

    def pull(self, reference):
        self.calls.append(("pull", reference))
        return self.images[reference]["Id"]

    def create(self, name, image, labels, env, bind, container_port, host_ip, host_port, restart_policy, limits,
               stop_timeout):
        self.made += 1
        container_id = "c%d" % self.made
        ports = {"%d/tcp" % container_port: [{"HostIp": host_ip, "HostPort": str(host_port or 49153)}]}
        host = {"PortBindings": ports, "RestartPolicy": {"Name": restart_policy}, "Memory": limits["mem_limit"] or 0,
                "CpuQuota": limits["cpu_quota"] or 0, "CpuPeriod": limits["cpu_period"] or 0}
        self.containers[container_id] = {
            "Id": container_id, "Name": "/" + name, "Image": self.images[image]["Id"],
            "State": {"Running": False, "Status": "created"},
            "Config": {"Image": image, "Labels": dict(labels), "Env": ["%s=%s" % item for item in env.items()]},
            "HostConfig": host, "Mounts": [{"Source": bind[0], "Destination": bind[1], "RW": False}],
        }
        self.calls.append(("create", name))
        return container_id

    def start(self, container_id, name, where):
        self.calls.append(("start", name))
        if name in self.refuse_start:
            raise EngineError("host port %s is already taken by something else; %s not started" % (where, name))
        self.containers[container_id]["State"] = {"Running": True, "Status": "running"}

    def update(self, container_id, restart_policy, limits):
        self.calls.append(("update", self.containers[container_id]["Name"].lstrip("/")))
        host = self.containers[container_id]["HostConfig"]
        host.update(RestartPolicy={"Name": restart_policy}, Memory=limits["mem_limit"] or host["Memory"])

    def rename(self, container_id, name):
        self.calls.append(("rename", name))
        self.containers[container_id]["Name"] = "/" + name

    def stop(self, container_id, timeout):
        self.calls.append(("stop", self.containers[container_id]["Name"].lstrip("/")))
        self.containers[container_id]["State"] = {"Running": False, "Status": "exited"}

    def restart_stopped(self, container_id):
        self.calls.append(("restart_stopped", self.containers[container_id]["Name"].lstrip("/")))
        self.containers[container_id]["State"] = {"Running": True, "Status": "running"}

    def remove(self, container_id):
        record = self.containers.pop(container_id, None)
        self.calls.append(("remove", record["Name"].lstrip("/") if record else container_id))

    def logs_tail(self, container_id):
        return "(log)"

    def mutations(self):
        return [call for call in self.calls if call[0] in MUTATING]


class FakeHealth(object):
    """The health gate: passes unless the container's name is in failing (one failure each)."""

    def __init__(self, engine):
        self.engine = engine
        self.failing = []

    def __call__(self, engine, name, container_id, gate):
        self.engine.calls.append(("health", name))
        if name in self.failing:
            self.failing.remove(name)
            raise ScorerError("%s was not healthy within %ss" % (name, gate["health_timeout"]))
        return {"url": "http://127.0.0.1/health", "seconds": 0.1}


def params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())
    values.update(name="churn", image=REPOSITORY, sparkflows_release="3.1.0", model_path="/srv/models/churn.zip",
                  host_port=8081, bind_address="127.0.0.1", model_id="101", model_sha256="a" * 64)
    values.update(overrides)
    return values


@pytest.fixture
def engine():
    return FakeEngine()


def run(engine, check_mode=False, health=None, **overrides):
    engine.calls = []
    scorer = Scorer(engine, params(**overrides), check_mode=check_mode, diff=True, health=health or FakeHealth(engine))
    return scorer.run()


def test_a_new_scorer_is_created_started_and_gated_then_left_alone(engine):
    first = run(engine)
    assert engine.calls == [("create", "churn"), ("start", "churn"), ("health", "churn")]
    assert (first["changed"], first["container"]["running"]) == (True, True)
    again = run(engine)
    assert (again["changed"], engine.mutations(), again["changed_fields"]) == (False, [], [])


def test_a_new_limit_is_applied_in_place(engine):
    run(engine)
    updated = run(engine, memory="512m", restart_policy="always")
    assert engine.mutations() == [("update", "churn")]
    assert (updated["changed_fields"], updated["recreated"]) == (["memory", "restart_policy"], False)


def test_a_new_model_goes_blue_green_in_order(engine):
    run(engine)
    replaced = run(engine, model_sha256="b" * 64)
    assert engine.calls == [
        ("create", "churn-candidate"), ("start", "churn-candidate"), ("health", "churn-candidate"),
        ("remove", "churn-candidate"), ("rename", "churn-retired"), ("stop", "churn-retired"),
        ("create", "churn"), ("start", "churn"), ("health", "churn"), ("remove", "churn-retired")]
    assert replaced["recreated"] is True
    assert [c["Name"] for c in engine.containers.values()] == ["/churn"]


def test_a_failing_candidate_leaves_the_serving_scorer_untouched(engine):
    run(engine)
    serving = engine.inspect("churn")
    health = FakeHealth(engine)
    health.failing = ["churn-candidate"]
    with pytest.raises(ScorerError, match="churn-candidate was not healthy .*; churn keeps serving, unchanged"):
        run(engine, health=health, model_sha256="b" * 64)
    assert engine.inspect("churn") == serving
    assert engine.inspect("churn-candidate") is None


def test_a_replacement_failing_after_the_candidate_puts_the_previous_back(engine):
    run(engine)
    serving_id = engine.inspect("churn")["Id"]
    health = FakeHealth(engine)
    health.failing = ["churn"]
    with pytest.raises(ScorerError, match="churn was not healthy .*; the previous churn was put back"):
        run(engine, health=health, model_sha256="b" * 64)
    back = engine.inspect("churn")
    assert (back["Id"], back["State"]["Running"]) == (serving_id, True)
    assert engine.calls[-2:] == [("rename", "churn"), ("restart_stopped", "churn")]


def test_the_recreate_strategy_has_no_candidate(engine):
    run(engine)
    run(engine, update_strategy="recreate", model_sha256="b" * 64)
    assert not [call for call in engine.calls if call[1] == "churn-candidate"]


def test_lifting_a_limit_recreates_instead_of_updating(engine):
    run(engine, memory="512m")
    lifted = run(engine, memory="0")
    assert ("update", "churn") not in engine.calls and ("create", "churn") in engine.calls
    assert engine.inspect("churn")["HostConfig"]["Memory"] == 0 and lifted["recreated"] is True


@pytest.mark.parametrize("overrides", [dict(), dict(model_sha256="b" * 64), dict(memory="1g"), dict(state="absent"),
                                       dict(state="stopped")])
def test_check_mode_calls_nothing_that_changes(engine, overrides):
    run(engine)
    before = copy.deepcopy(engine.containers)
    previewed = run(engine, check_mode=True, **overrides)
    assert engine.mutations() == [] and engine.containers == before
    assert previewed["changed"] is bool(overrides)


def test_a_port_taken_fails_naming_it_and_keeps_nothing(engine):
    engine.refuse_start.add("churn")
    with pytest.raises(ScorerError, match="host port 8081 on 127.0.0.1 is already taken"):
        run(engine)
    assert engine.containers == {}


def test_stopped_then_absent(engine):
    run(engine)
    stopped = run(engine, state="stopped")
    assert (engine.mutations(), stopped["container"]["running"]) == ([("stop", "churn")], False)
    removed = run(engine, state="absent")
    assert (engine.mutations(), removed["changed"], engine.containers) == ([("remove", "churn")], True, {})


def test_the_result_says_what_was_done_and_what_serves(engine):
    engine.images[REFERENCE]["RepoDigests"] = [REPOSITORY + "@sha256:d1"]
    serving = dict(name="churn", id="c1", image=REFERENCE, image_id="sha256:image-1",
                   image_digest="sha256:d1", model_id="101", model_sha256="a" * 64,
                   release="3.1.0", host_port=8081, running=True)
    healthy = {"url": "http://127.0.0.1/health", "seconds": 0.1}
    first = run(engine)
    del first["diff"]
    assert first == dict(changed=True, actions=["created churn", "started churn", "churn healthy"],
                         changed_fields=["env", "image", "image_id", "labels", "model", "port", "restart_policy"],
                         recreated=False, health=healthy, container=serving)
    again = run(engine)
    del again["diff"]
    assert again == dict(changed=False, actions=[], changed_fields=[], recreated=False, health=None,
                         container=serving)
    updated = run(engine, memory="512m")
    assert (updated["actions"], updated["health"], updated["container"]) == (
        ["updated churn in place: memory"], None, serving)


def test_a_stopped_scorer_is_left_stopped_by_present_and_started_and_gated_by_started(engine):
    run(engine)
    stopped = run(engine, state="stopped")
    assert (stopped["changed"], stopped["actions"], stopped["container"]["running"]) == (True, ["stopped churn"], False)
    present = run(engine, state="present")
    assert (present["changed"], engine.calls, present["container"]["running"]) == (False, [], False)
    started = run(engine)
    assert engine.calls == [("start", "churn"), ("health", "churn")]
    assert (started["changed"], started["actions"], started["health"], started["container"]["running"]) == (
        True, ["started churn", "churn healthy"], {"url": "http://127.0.0.1/health", "seconds": 0.1}, True)
    assert engine.inspect("churn")["State"]["Running"] is True


def test_check_mode_says_what_it_would_do(engine):
    created = run(engine, check_mode=True)
    assert (created["actions"], created["changed"], created["container"]["id"], engine.containers) == (
        ["would create churn"], True, None, {})
    run(engine)
    recreated = run(engine, check_mode=True, model_sha256="b" * 64)
    assert (recreated["actions"], recreated["recreated"], recreated["container"]["id"]) == (
        ["would recreate churn"], True, "c1")
    updated = run(engine, check_mode=True, memory="1g")
    assert (updated["actions"], updated["recreated"], updated["health"]) == (
        ["would update churn in place: memory"], False, None)
    stopped = run(engine, check_mode=True, state="stopped")
    assert (stopped["changed"], stopped["container"]["running"]) == (True, False)
    present = run(engine, check_mode=True, state="present", model_sha256="b" * 64)
    assert present["container"]["running"] is False


def test_pull_never_uses_the_local_image_or_fails_before_changing_anything(engine):
    scorer = Scorer(engine, params(pull="never"))
    assert scorer.ensure_image(REFERENCE) == ("sha256:image-1", False)
    assert engine.calls == [] and scorer.actions == []
    with pytest.raises(ScorerError, match="^image %s:9.9.9 is not on this host and pull is never$" % REPOSITORY):
        Scorer(engine, params(pull="never")).ensure_image(REPOSITORY + ":9.9.9")
    assert engine.calls == []


def test_pull_missing_pulls_only_an_image_not_here(engine):
    assert Scorer(engine, params(pull="missing")).ensure_image(REFERENCE) == ("sha256:image-1", False)
    assert engine.calls == []
    del engine.images[REFERENCE]
    scorer = Scorer(engine, params(pull="missing"))
    engine.pull = lambda reference: engine.calls.append(("pull", reference)) or engine.images.setdefault(
        reference, {"Id": "sha256:image-2", "RepoDigests": [REPOSITORY + "@sha256:d2"]})["Id"]
    assert scorer.ensure_image(REFERENCE) == ("sha256:image-2", True)
    assert (engine.calls, scorer.actions, scorer.image["Id"]) == (
        [("pull", REFERENCE)], ["pulled %s" % REFERENCE], "sha256:image-2")


def test_pull_always_asks_the_registry_and_reports_a_change_only_for_a_new_image(engine):
    scorer = Scorer(engine, params(pull="always"))
    assert scorer.ensure_image(REFERENCE) == ("sha256:image-1", False)
    assert (engine.calls, scorer.actions) == ([("pull", REFERENCE)], [])
    engine.images[REFERENCE] = {"Id": "sha256:image-0", "RepoDigests": []}
    engine.pull = lambda reference: engine.calls.append(("pull", reference)) or engine.images.update(
        {reference: {"Id": "sha256:image-3", "RepoDigests": []}}) or "sha256:image-3"
    scorer = Scorer(engine, params(pull="always"))
    assert scorer.ensure_image(REFERENCE) == ("sha256:image-3", True)
    assert (scorer.actions, scorer.image["Id"]) == (["pulled %s" % REFERENCE], "sha256:image-3")


def test_pull_always_in_check_mode_compares_the_registry_digest_without_pulling(engine):
    engine.images[REFERENCE]["RepoDigests"] = [REPOSITORY + "@sha256:digest"]
    assert Scorer(engine, params(pull="always"), check_mode=True).ensure_image(REFERENCE) == ("sha256:image-1", False)
    engine.images[REFERENCE]["RepoDigests"] = [REPOSITORY + "@sha256:older"]
    assert Scorer(engine, params(pull="always"), check_mode=True).ensure_image(REFERENCE) == (None, True)
    del engine.images[REFERENCE]
    assert Scorer(engine, params(pull="always"), check_mode=True).ensure_image(REFERENCE) == (None, True)
    assert engine.mutations() == [] and engine.calls == [("remote_digest", REFERENCE)] * 3
