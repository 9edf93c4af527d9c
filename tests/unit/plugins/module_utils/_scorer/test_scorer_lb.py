"""The rules of the load-balanced endpoint: backends from the scorer hosts' inventory, the
balancers' source networks and the canary's verdict (the stored credential digests:
test_haproxy_tls.py)."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import (
    THRESHOLDS,
    LbRuleError,
    backend_name,
    backends,
    canary_verdict,
    others_out,
    sources,
    window_response_ms,
)


def model(name="churn-model", host_port=8081, lb_port=9081, **extra):
    entry = dict(name=name, model_id=101, host_port=host_port, lb_port=lb_port)
    entry.update(extra)
    return entry


# backends


def test_backend_name_is_the_prefix_and_the_model():
    assert backend_name("churn-model") == "scorer_churn-model"


def test_two_hosts_serving_one_model_are_two_servers_of_its_backend():
    found = backends([("scorer1", [model()], "10.0.0.11"), ("scorer2", [model(host_port=8091)], "10.0.0.12")])
    assert found == [dict(name="scorer_churn-model", model="churn-model", port=9081, health_path="/health", servers=[
        dict(name="scorer1", address="10.0.0.11", port=8081), dict(name="scorer2", address="10.0.0.12", port=8091)])]


def test_a_backend_is_checked_on_its_hosts_health_route_the_same_on_each():
    hosts = [("scorer1", [model()], "10.0.0.11"), ("scorer2", [model(host_port=8091)], "10.0.0.12")]
    assert backends(hosts, {"scorer1": "/ready", "scorer2": "/ready"})[0]["health_path"] == "/ready"
    with pytest.raises(LbRuleError, match="model churn-model: scorer_health_path is /live on scorer2 but /ready elsewhere"):
        backends(hosts, {"scorer1": "/ready", "scorer2": "/live"})


def test_backends_are_sorted_by_model_and_ports_read_from_text():
    found = backends([("scorer1", [model("upsell", host_port="8082", lb_port="9082"), model()], "10.0.0.11")])
    expected = [("churn-model", 9081, 8081), ("upsell", 9082, 8082)]
    assert [(b["model"], b["port"], b["servers"][0]["port"]) for b in found] == expected


def test_an_lb_port_disagreement_between_hosts_is_refused_naming_both_ports_and_the_host():
    with pytest.raises(LbRuleError, match="model churn-model has lb_port 9099 on scorer2 but 9081 elsewhere"):
        backends([("scorer1", [model()], "10.0.0.11"), ("scorer2", [model(lb_port=9099)], "10.0.0.12")])


def test_two_models_on_one_lb_port_are_refused():
    with pytest.raises(LbRuleError, match="models churn-model and upsell share lb_port 9081"):
        backends([("scorer1", [model()], "10.0.0.11"), ("scorer2", [model("upsell", host_port=8082)], "10.0.0.12")])


def test_a_model_of_state_absent_is_no_server():
    found = backends([("scorer1", [model(), {"name": "old", "state": "absent"}], "10.0.0.11"),
                      ("scorer2", [model(state="absent")], "10.0.0.12")])
    assert [(b["model"], [s["name"] for s in b["servers"]]) for b in found] == [("churn-model", ["scorer1"])]


def test_a_missing_lb_port_is_refused_naming_host_and_model():
    entry = model()
    del entry["lb_port"]
    with pytest.raises(LbRuleError, match="^scorer2: scorer_models entry churn-model: needs an lb_port"):
        backends([("scorer1", [model()], "10.0.0.11"), ("scorer2", [entry], "10.0.0.12")])


@pytest.mark.parametrize("address", [None, ""])
def test_a_host_without_an_address_is_refused(address):
    with pytest.raises(LbRuleError, match="scorer host scorer1 has no address for the balancers .set scorer_lb_address."):
        backends([("scorer1", [model()], address)])


def test_a_host_without_models_adds_nothing():
    assert backends([("scorer1", None, "10.0.0.11"), ("scorer2", [], "10.0.0.12")]) == []


# sources


def test_sources_split_by_family_as_networks_without_duplicates():
    found = sources([("lb1", ["10.0.0.5", "10.1.0.0/16", "2001:db8::5"]),
                     ("lb2", ["10.0.0.5", "10.1.2.3/16", "2001:db8::/64"])])
    assert found == dict(ipv4=["10.0.0.5/32", "10.1.0.0/16"], ipv6=["2001:db8::5/128", "2001:db8::/64"])


@pytest.mark.parametrize("address", ["lb1.example.net", "10.0.0.256", "10.0.0.0/33"])
def test_a_bad_source_address_is_refused_naming_the_balancer(address):
    with pytest.raises(LbRuleError, match="^balancer lb2: '%s' is not an IP address or network$" % address):
        sources([("lb1", ["10.0.0.5"]), ("lb2", [address])])


@pytest.mark.parametrize("addresses", [[], None])
def test_a_balancer_without_addresses_is_refused(addresses):
    with pytest.raises(LbRuleError, match="^balancer lb1 has no address the scorer hosts see it from"):
        sources([("lb1", addresses)])


def test_no_balancers_no_sources():
    assert sources([]) == dict(ipv4=[], ipv6=[])


# canary_verdict


def read(stot=0, hrsp_5xx=0, econ=0, eresp=0, rtime=0, req_tot=None, server="scorer1"):
    return dict(stot=stot, req_tot=stot if req_tot is None else req_tot, hrsp_5xx=hrsp_5xx, econ=econ, eresp=eresp,
                rtime=rtime, backend="scorer_churn-model", server=server)


class HaproxyServer(object):
    """A server's response-time counters as HAProxy 2.6 keeps and reports them (src/stream.c
    stream_update_time_stats, src/freq_ctr.h swrate_add_dynamic and swrate_avg, src/stats.c): a
    plain sum of its first 1024 requests, then a sliding sum over the last 1024; reported as the
    average, rounded up to whole milliseconds."""

    def __init__(self):
        self.sum = self.requests = 0

    def answer(self, ms, times=1):
        for _answer in range(times):
            self.requests += 1
            window = 1024 if self.requests > 1024 else 0
            self.sum = self.sum - ((self.sum + window - 1) // window if window else 0) + ms
        return self

    def line(self):
        window = self.requests if 0 < self.requests < 1024 else 1024
        return read(stot=self.requests, rtime=(self.sum + window - 1) // window)


def test_a_clean_window_passes():
    # 100 requests at 2 ms on average, then 200 more: 3 ms over the 300, so 3.5 ms in the window.
    verdict = canary_verdict([read(stot=100, rtime=2)], [read(stot=300, hrsp_5xx=1, rtime=3)], {"max_5xx_ratio": 0.05})
    assert verdict == dict(passed=True, reasons=[], requests=200, errors_5xx=1, connection_errors=0, response_ms=4)


def test_default_thresholds():
    assert THRESHOLDS == dict(max_5xx_ratio=0.01, max_connection_errors=0, max_response_ms=1000, min_requests=0)
    assert canary_verdict([read(stot=0)], [read(stot=100, hrsp_5xx=1, rtime=1000)])["passed"] is True


def test_a_5xx_ratio_over_the_threshold_fails_with_its_reason():
    verdict = canary_verdict([read(stot=100, hrsp_5xx=7)], [read(stot=300, hrsp_5xx=12)])
    assert verdict["passed"] is False
    assert verdict["reasons"] == ["5 of 200 requests answered 5xx (2.5%, more than 1.0%)"]


def test_connection_and_response_errors_count_together():
    verdict = canary_verdict([read(stot=10, econ=1, eresp=1)], [read(stot=20, econ=2, eresp=2)])
    assert (verdict["passed"], verdict["connection_errors"]) == (False, 2)
    assert verdict["reasons"] == ["2 connection or response errors (more than 0)"]


def test_errors_before_the_window_do_not_count():
    assert canary_verdict([read(stot=10, econ=4, eresp=3, hrsp_5xx=9)], [read(stot=20, econ=4, eresp=3, hrsp_5xx=9)])["passed"]


def test_a_response_time_over_the_maximum_fails():
    verdict = canary_verdict([read(stot=10, rtime=1001)], [read(stot=20, rtime=1001)])
    assert verdict["reasons"] == ["average response time 1001 ms in the window (more than 1000 ms)"]


def test_a_slow_canary_is_not_hidden_by_the_fast_requests_it_served_before():
    # 5000 fast requests (1 ms) before the window, then 40 at 1500 ms: HAProxy's average of the
    # last 1024 says 60 ms; the window's own mean is what the canary is judged by.
    server = HaproxyServer().answer(1, 5000)
    before = server.line()
    after = server.answer(1500, 40).line()
    assert after["rtime"] < 100
    verdict = canary_verdict([before], [after])
    assert 1400 <= verdict["response_ms"] <= 1600, verdict
    assert verdict["reasons"] == ["average response time %d ms in the window (more than 1000 ms)" % verdict["response_ms"]]
    # The same canary answering fast passes, whatever came before.
    server = HaproxyServer().answer(900, 5000)
    before = server.line()
    assert canary_verdict([before], [server.answer(2, 40).line()])["response_ms"] < 100


@pytest.mark.parametrize("before_requests, window, ms", [(0, 30, 700), (300, 200, 40), (900, 500, 250), (20000, 8, 3000)])
def test_the_window_mean_is_recovered_from_haproxys_average(before_requests, window, ms):
    server = HaproxyServer().answer(5, before_requests)
    before = server.line()
    estimate = window_response_ms(before, server.answer(ms, window).line())
    # rtime is whole milliseconds: the error is about 1 ms over the window's share of the average.
    share = min(1.0, 1 - (1 - 1 / 1024.0) ** window) if before_requests + window > 1024 else window / float(before_requests + window)
    assert abs(estimate - ms) <= 1.5 / share + 1, (estimate, ms)


def test_a_window_without_answers_has_no_response_time():
    assert window_response_ms(read(stot=10, rtime=50), read(stot=10, rtime=50)) is None
    assert canary_verdict([read(stot=10, rtime=5000)], [read(stot=10, rtime=5000)])["response_ms"] == 0


def test_lines_that_do_not_pair_up_fail_the_window():
    verdict = canary_verdict([read(stot=10)], [read(stot=20), read(stot=20, server="scorer2")])
    assert verdict["passed"] is False and "cannot be judged" in verdict["reasons"][0]
    verdict = canary_verdict([read(stot=10)], [read(stot=20, server="scorer2")])
    assert verdict["passed"] is False and "cannot be judged" in verdict["reasons"][0]


def test_too_few_requests_fail_when_a_minimum_is_set():
    verdict = canary_verdict([read(stot=10)], [read(stot=19)], {"min_requests": 10})
    assert verdict["reasons"] == ["9 requests in the window, fewer than the 10 needed to judge it"]
    assert canary_verdict([read(stot=10)], [read(stot=20)], {"min_requests": 10})["passed"] is True


def test_deltas_are_summed_over_every_balancer_and_the_slowest_counts():
    before = [read(stot=2000, hrsp_5xx=1, econ=0, rtime=20), read(stot=2000, hrsp_5xx=0, econ=1, rtime=40)]
    after = [read(stot=2050, hrsp_5xx=2, econ=0, rtime=20), read(stot=2050, hrsp_5xx=2, econ=1, rtime=40)]
    verdict = canary_verdict(before, after, {"max_5xx_ratio": 0.05})
    assert (verdict["requests"], verdict["errors_5xx"], verdict["connection_errors"], verdict["response_ms"]) == (100, 3, 0, 40)
    assert verdict["passed"] is True
    assert canary_verdict(before, after, {"max_5xx_ratio": 0.02})["passed"] is False


def test_an_unknown_threshold_is_refused_naming_it():
    with pytest.raises(ValueError, match="unknown thresholds max_5xx_rate .known: max_5xx_ratio"):
        canary_verdict([], [], {"max_5xx_rate": 0.1})


def test_thresholds_given_as_text_work():
    before, after = [read(stot=0)], [read(stot=100, hrsp_5xx=4, econ=1, rtime=1500)]
    assert canary_verdict(before, after, {"max_5xx_ratio": "0.05", "max_connection_errors": "1",
                                          "max_response_ms": "2000", "min_requests": "100"})["passed"] is True
    assert canary_verdict(before, after, {"max_5xx_ratio": "0.03"})["reasons"][0] == \
        "4 of 100 requests answered 5xx (4.0%, more than 3.0%)"


def test_a_threshold_of_none_keeps_its_default():
    verdict = canary_verdict([read(stot=0)], [read(stot=100, hrsp_5xx=2)], {"max_5xx_ratio": None})
    assert verdict["reasons"] == ["2 of 100 requests answered 5xx (2.0%, more than 1.0%)"]


def test_missing_or_empty_counters_count_as_zero():
    assert canary_verdict([{}], [{"stot": "", "rtime": None}])["requests"] == 0


def test_counters_that_went_backwards_do_not_pass():
    # Before: 1000 requests, none 5xx. The balancer reloads (its counters restart at 0); after:
    # 10 requests since the reload, all 5xx: a negative count of requests fails the window.
    verdict = canary_verdict([read(stot=1000)], [read(stot=10, hrsp_5xx=10)])
    assert (verdict["passed"], verdict["requests"]) == (False, -990)


def test_others_out_names_servers_out_of_rotation_outside_the_batch():
    servers = [
        ("lb1", dict(backend="churn", server="scorer1", admin_state="ready")),
        ("lb1", dict(backend="churn", server="scorer2", admin_state="drain")),
        ("lb1", dict(backend="churn", server="scorer3", admin_state="maint")),
        ("lb2", dict(backend="churn", server="scorer3", admin_state="maint")),
        ("lb2", dict(backend="churn", server="scorer2", admin_state="drain")),
        ("lb2", dict(backend="fraud", server="scorer4")),
        # Listed twice (two reads of one balancer): named once.
        ("lb1", dict(backend="churn", server="scorer3", admin_state="maint")),
    ]
    # scorer2 is in this batch (the run takes it out itself); scorer4 has no state: ready.
    assert others_out(servers, ["scorer2"]) == ["lb1 churn/scorer3 maint", "lb2 churn/scorer3 maint"]
    assert others_out(servers, ["scorer2", "scorer3"]) == []
    assert others_out(servers, []) == ["lb1 churn/scorer2 drain", "lb1 churn/scorer3 maint",
                                       "lb2 churn/scorer2 drain", "lb2 churn/scorer3 maint"]


def test_the_canary_thresholds_are_role_scorers_defaults():
    import pathlib

    import yaml

    from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer.lb import THRESHOLDS
    role = pathlib.Path(__file__).resolve().parents[5] / "roles" / "scorer"
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert dict((name, defaults["scorer_canary_" + name]) for name in THRESHOLDS) == THRESHOLDS
    assert dict((name, options["scorer_canary_" + name]["default"]) for name in THRESHOLDS) == THRESHOLDS
