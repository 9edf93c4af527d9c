"""scorer_lb_server's steps, against a fake balancer whose sessions end and whose health checks
see a server UP over successive polls, on a fake clock: the order of the runtime calls, the
bounded waits, check mode, idempotence and what is left when a wait runs out; the module's run
(the diff only when asked, a failure naming the socket with the steps taken)."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy import server as server_logic
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.server import ServerError, ServerRotation, run

CHURN, UPSELL = "scorer_churn-model", "scorer_upsell"
STATUS_OF = {"drain": "DRAIN", "maint": "MAINT"}


def line(backend=CHURN, server="scorer1", admin_state="ready", status="UP", weight=100, initial_weight=100, scur=0,
         qcur=0, check_status="L7OK"):
    """A server as Runtime.servers() gives it (the fields the rotation reads)."""
    return dict(backend=backend, server=server, admin_state=admin_state, status=status, weight=weight,
                initial_weight=initial_weight, scur=scur, qcur=qcur, check_status=check_status, address="10.0.0.1:8081")


class FakeBalancer(object):
    """The runtime of one balancer. Each read shows the servers, then lets time pass: a server
    out of rotation loses `ends_per_poll` sessions; a server set ready shows the next status of
    `statuses_when_ready` (its health checks at work), the last one staying."""

    def __init__(self, *lines, ends_per_poll=1, statuses_when_ready=("UP",)):
        self.lines = dict(((l["backend"], l["server"]), dict(l)) for l in lines)
        self.ends_per_poll = ends_per_poll
        self.statuses_when_ready = list(statuses_when_ready)
        self.calls = []
        self.reads = 0
        self.sessions_when_set = []

    def servers(self):
        self.reads += 1
        shown = [dict(l) for l in self.lines.values()]
        for server in self.lines.values():
            if server["admin_state"] != "ready":
                ended = min(self.ends_per_poll, server["qcur"])
                server["qcur"] -= ended
                server["scur"] = max(0, server["scur"] - (self.ends_per_poll - ended))
            elif server.get("pending"):
                server["status"] = server["pending"].pop(0)
        return shown

    def set_state(self, backend, server, state):
        line_ = self.lines[(backend, server)]
        self.calls.append(("state", backend, server, state))
        self.sessions_when_set.append((state, line_["scur"] + line_["qcur"]))
        line_["admin_state"] = state
        if state == "ready":
            line_["pending"] = list(self.statuses_when_ready)
            line_["status"] = line_["pending"].pop(0)
        else:
            line_["status"] = STATUS_OF[state]

    def set_weight(self, backend, server, weight):
        self.calls.append(("weight", backend, server, weight))
        self.lines[(backend, server)]["weight"] = weight


class FakeClock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def params(**overrides):
    values = dict(server="scorer1", backends=None, state="ready", weight=None, wait=True, wait_timeout=10.0,
                  socket="/run/haproxy/admin.sock", socket_timeout=10.0)
    values.update(overrides)
    return values


def rotate(balancer, check_mode=False, **overrides):
    clock = FakeClock()
    rotation = ServerRotation(balancer, params(**overrides), check_mode=check_mode, sleep=clock.sleep, clock=clock)
    rotation.clock_used = clock
    return rotation


def test_maint_from_ready_drains_first_and_sets_maint_once_the_sessions_ended():
    balancer = FakeBalancer(line(scur=2, qcur=1))
    result = rotate(balancer, state="maint").run()
    assert balancer.calls == [("state", CHURN, "scorer1", "drain"), ("state", CHURN, "scorer1", "maint")]
    assert balancer.sessions_when_set == [("drain", 3), ("maint", 0)]
    assert result["actions"] == ["%s/scorer1: drain" % CHURN, "%s/scorer1: maint" % CHURN]
    assert result["changed"] is True
    assert result["servers"] == [dict(backend=CHURN, server="scorer1", state="maint", weight=100, status="MAINT", sessions=0)]


def test_maint_drains_every_backend_before_any_is_set_to_maint():
    balancer = FakeBalancer(line(scur=1), line(backend=UPSELL, scur=2))
    rotate(balancer, state="maint").run()
    assert balancer.calls == [("state", CHURN, "scorer1", "drain"), ("state", UPSELL, "scorer1", "drain"),
                              ("state", CHURN, "scorer1", "maint"), ("state", UPSELL, "scorer1", "maint")]


def test_maint_from_drain_does_not_set_drain_again():
    balancer = FakeBalancer(line(admin_state="drain", status="DRAIN", scur=1))
    rotate(balancer, state="maint").run()
    assert balancer.calls == [("state", CHURN, "scorer1", "maint")]


def test_drain_waits_for_the_sessions_but_does_not_set_maint():
    balancer = FakeBalancer(line(scur=2))
    result = rotate(balancer, state="drain").run()
    assert balancer.calls == [("state", CHURN, "scorer1", "drain")]
    assert result["servers"][0]["state"] == "drain" and result["servers"][0]["sessions"] == 0


def test_drain_timeout_names_status_and_sessions_and_leaves_the_server_in_drain():
    balancer = FakeBalancer(line(scur=3), ends_per_poll=0)
    rotation = rotate(balancer, state="maint", wait_timeout=5.0)
    with pytest.raises(ServerError) as error:
        rotation.run()
    assert str(error.value) == ("scorer1: not drained of its sessions after 5.0 s: "
                                "%s/scorer1 DRAIN, 3 sessions, check L7OK" % CHURN)
    assert balancer.calls == [("state", CHURN, "scorer1", "drain")]
    assert balancer.lines[(CHURN, "scorer1")]["admin_state"] == "drain"
    assert rotation.actions == ["%s/scorer1: drain" % CHURN]
    # Bounded on the clock given, polling every half second.
    assert 5.0 <= rotation.clock_used.now - 1000.0 <= 5.5 and set(rotation.clock_used.sleeps) == {0.5}


def test_ready_sets_ready_and_waits_until_every_balancer_check_sees_it_up():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT"), statuses_when_ready=("DOWN", "DOWN 1/2", "UP"))
    result = rotate(balancer, state="ready").run()
    assert balancer.calls == [("state", CHURN, "scorer1", "ready")]
    assert result["servers"][0]["status"] == "UP"
    assert balancer.reads == 1 + 3 + 1  # before, three polls until UP, after


def test_up_going_down_is_not_up():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT"), statuses_when_ready=("UP 1/2",))
    with pytest.raises(ServerError, match=r"^scorer1: not UP after 3.0 s: %s/scorer1 UP 1/2, 0 sessions" % CHURN):
        rotate(balancer, state="ready", wait_timeout=3.0).run()


def test_a_server_without_checks_counts_as_up():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT", check_status=""), statuses_when_ready=("no check",))
    assert rotate(balancer, state="ready").run()["servers"][0]["status"] == "no check"


def test_ready_at_a_weight_sets_it():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT"))
    result = rotate(balancer, state="ready", weight=10).run()
    assert balancer.calls == [("state", CHURN, "scorer1", "ready"), ("weight", CHURN, "scorer1", 10)]
    assert result["actions"] == ["%s/scorer1: ready" % CHURN, "%s/scorer1: weight 10" % CHURN]
    assert result["servers"][0]["weight"] == 10


def test_ready_without_a_weight_returns_to_the_configurations_weight():
    # A server left at a canary's weight of 10 serves again at its configured weight (100, the
    # initial weight of `show servers state`) once put back ready without a weight.
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT", weight=10, initial_weight=100))
    result = rotate(balancer, state="ready").run()
    assert balancer.calls == [("state", CHURN, "scorer1", "ready"), ("weight", CHURN, "scorer1", 100)]
    assert result["servers"][0]["weight"] == 100


@pytest.mark.parametrize("weight", [-1, 257])
def test_a_weight_out_of_0_to_256_is_refused_before_any_call(weight):
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT"))
    with pytest.raises(ServerError, match="weight must be between 0 and 256, got %d" % weight):
        rotate(balancer, state="ready", weight=weight).run()
    assert balancer.calls == []


@pytest.mark.parametrize("weight", [0, 256])
def test_the_weight_bounds_are_accepted(weight):
    balancer = FakeBalancer(line())
    rotate(balancer, state="ready", weight=weight).run()
    assert balancer.calls == [("weight", CHURN, "scorer1", weight)]


def test_check_mode_of_maint_calls_nothing_and_predicts_the_after_state():
    balancer = FakeBalancer(line(scur=4))
    rotation = rotate(balancer, check_mode=True, state="maint")
    result = rotation.run()
    assert balancer.calls == [] and rotation.clock_used.sleeps == [] and balancer.reads == 1
    assert result["changed"] is True
    assert result["actions"] == ["%s/scorer1: drain" % CHURN, "%s/scorer1: maint" % CHURN]
    assert result["diff"] == {"before": {"%s/scorer1" % CHURN: {"state": "ready", "weight": 100}},
                              "after": {"%s/scorer1" % CHURN: {"state": "maint", "weight": 100}}}


def test_check_mode_of_ready_at_a_weight_predicts_the_weight():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT"))
    result = rotate(balancer, check_mode=True, state="ready", weight=10).run()
    assert balancer.calls == []
    assert result["actions"] == ["%s/scorer1: ready" % CHURN, "%s/scorer1: weight 10" % CHURN]
    assert (result["servers"][0]["state"], result["servers"][0]["weight"]) == ("ready", 10)


def test_a_ready_up_server_at_its_weight_is_left_alone():
    balancer = FakeBalancer(line())
    result = rotate(balancer, state="ready", weight=100).run()
    assert (result["changed"], result["actions"], balancer.calls) == (False, [], [])
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_maintained_server_asked_maint_is_left_alone():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT"))
    result = rotate(balancer, state="maint").run()
    assert (result["changed"], result["actions"], balancer.calls) == (False, [], [])


def test_without_wait_nothing_is_polled():
    balancer = FakeBalancer(line(scur=5), ends_per_poll=0)
    rotation = rotate(balancer, state="maint", wait=False)
    rotation.run()
    assert balancer.calls == [("state", CHURN, "scorer1", "drain"), ("state", CHURN, "scorer1", "maint")]
    assert rotation.clock_used.sleeps == [] and balancer.reads == 2  # before and after


def test_backends_limit_the_servers_acted_on():
    balancer = FakeBalancer(line(), line(backend=UPSELL))
    result = rotate(balancer, state="maint", backends=[UPSELL]).run()
    assert balancer.calls == [("state", UPSELL, "scorer1", "drain"), ("state", UPSELL, "scorer1", "maint")]
    assert [s["backend"] for s in result["servers"]] == [UPSELL]
    assert balancer.lines[(CHURN, "scorer1")]["admin_state"] == "ready"


def test_a_backend_not_holding_the_server_is_refused_naming_it():
    balancer = FakeBalancer(line(), line(backend=UPSELL, server="scorer2"))
    with pytest.raises(ServerError, match="^no server scorer1 in backend scorer_nope, scorer_upsell$"):
        rotate(balancer, state="maint", backends=[CHURN, UPSELL, "scorer_nope"]).run()
    assert balancer.calls == []


def test_a_server_in_no_backend_is_refused():
    balancer = FakeBalancer(line(), line(backend=UPSELL))
    with pytest.raises(ServerError, match="^no backend holds a server scorer9$"):
        rotate(balancer, state="drain", server="scorer9").run()


def test_other_servers_of_the_backend_are_not_touched():
    balancer = FakeBalancer(line(), line(server="scorer2"))
    result = rotate(balancer, state="maint").run()
    assert {c[2] for c in balancer.calls} == {"scorer1"}
    assert [s["server"] for s in result["servers"]] == ["scorer1"]


def test_the_diff_shows_state_and_weight_before_and_after():
    balancer = FakeBalancer(line(admin_state="maint", status="MAINT", weight=100), line(backend=UPSELL, weight=50))
    result = rotate(balancer, state="ready", weight=10).run()
    churn, upsell = "%s/scorer1" % CHURN, "%s/scorer1" % UPSELL
    assert result["diff"] == {
        "before": {churn: {"state": "maint", "weight": 100}, upsell: {"state": "ready", "weight": 50}},
        "after": {churn: {"state": "ready", "weight": 10}, upsell: {"state": "ready", "weight": 10}},
    }


# -- the run: options, the balancer's socket, the diff asked and the partial result of a failure ----

@pytest.fixture
def balancer_at(monkeypatch, tmp_path):
    """The fake balancer the run's Runtime(socket, timeout) reaches; its socket a file in tmp_path."""
    socket_path = tmp_path / "admin.sock"
    socket_path.touch()

    def install(balancer):
        monkeypatch.setattr(server_logic, "Runtime", lambda path, timeout: balancer)
        return str(socket_path)
    return install


def test_the_run_returns_the_diff_only_when_a_diff_is_asked(balancer_at, fake_host):
    socket_path = balancer_at(FakeBalancer(line()))
    result = run(params(state="maint", socket=socket_path, wait=False), False, fake_host)
    assert result["changed"] is True and result["actions"] == ["%s/scorer1: drain" % CHURN, "%s/scorer1: maint" % CHURN]
    assert "diff" not in result
    fake_host.diff = True
    result = run(params(state="maint", socket=socket_path, wait=False), False, fake_host)
    assert result["changed"] is False and result["diff"]["after"] == {"%s/scorer1" % CHURN: dict(state="maint", weight=100)}


def test_a_failed_run_names_the_socket_and_returns_the_steps_taken(balancer_at, fake_host):
    balancer = FakeBalancer(line(scur=5), ends_per_poll=0)
    socket_path = balancer_at(balancer)
    with pytest.raises(ModuleFailure) as failed:
        run(params(state="drain", socket=socket_path, wait_timeout=0.01), False, fake_host)
    assert failed.value.msg.startswith("scorer1: not drained of its sessions after 0.01 s: ")
    assert failed.value.msg.endswith(" (balancer socket %s)" % socket_path)
    assert failed.value.result == dict(actions=["%s/scorer1: drain" % CHURN])


def test_check_mode_without_the_balancers_socket_previews_nothing(fake_host, tmp_path):
    missing = str(tmp_path / "no-haproxy-yet.sock")
    assert run(params(socket=missing), True, fake_host) == dict(
        changed=False, actions=[], servers=[],
        msg="check mode: no runtime API at %s yet (HAProxy not installed?); nothing to preview" % missing)


@pytest.mark.parametrize("overrides", [dict(wait_timeout=0), dict(socket_timeout=-1.0)])
def test_timeouts_of_no_time_are_refused(fake_host, overrides):
    with pytest.raises(ModuleFailure, match="^wait_timeout and socket_timeout must be more than 0 seconds$"):
        run(params(**overrides), False, fake_host)
