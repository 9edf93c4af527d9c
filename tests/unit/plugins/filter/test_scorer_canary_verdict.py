"""scorer_canary_verdict: the canary's window judged from its server lines on every balancer,
bad input a filter error."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_canary_verdict import scorer_canary_verdict

# As in the filter's EXAMPLES.
SERVER = {"backend": "scorer_churn-model", "server": "scorer1"}
START = [dict(SERVER, stot=100, req_tot=100, hrsp_5xx=0, econ=0, eresp=0, rtime=2)]
END = [dict(SERVER, stot=300, req_tot=300, hrsp_5xx=1, econ=0, eresp=0, rtime=3)]


def test_the_documented_example_passes():
    # 3 ms over 300 requests after 2 ms over the first 100: 3.5 ms in the window.
    assert scorer_canary_verdict(START, END, {"max_5xx_ratio": 0.05}) == dict(
        passed=True, reasons=[], requests=200, errors_5xx=1, connection_errors=0, response_ms=4)


def test_a_failing_window_gives_its_reasons():
    verdict = scorer_canary_verdict(START, END, {"max_5xx_ratio": "0.001"})
    assert verdict["passed"] is False and verdict["reasons"] == ["1 of 200 requests answered 5xx (0.5%, more than 0.1%)"]


def test_without_thresholds_the_defaults_apply():
    assert scorer_canary_verdict(START, END)["passed"] is True
    assert scorer_canary_verdict(START, [dict(END[0], econ=1)])["passed"] is False


@pytest.mark.parametrize("before, after", [(None, END), (START, None), (START[0], END), (START, "[]")])
def test_anything_but_two_lists_is_refused(before, after):
    with pytest.raises(AnsibleFilterError, match="scorer_canary_verdict compares two lists of server lines"):
        scorer_canary_verdict(before, after)


def test_an_unknown_threshold_is_a_filter_error_naming_it():
    with pytest.raises(AnsibleFilterError, match="scorer_canary_verdict: unknown thresholds max_errors"):
        scorer_canary_verdict(START, END, {"max_errors": 1})


def test_a_threshold_that_is_not_a_number_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="^scorer_canary_verdict: "):
        scorer_canary_verdict(START, END, {"max_5xx_ratio": "5%"})


def test_a_counter_that_is_not_a_number_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="^scorer_canary_verdict: "):
        scorer_canary_verdict(START, [dict(END[0], stot="many")])
