"""tests/utils/ports.py: ranges of loopback ports that are free, every port of them checked."""

import socket

import pytest

from utils import ports


def bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_a_free_range_binds_on_every_port():
    base = ports.free_port_range(100)
    assert all(bindable(port) for port in range(base, base + 100))


def test_a_range_with_a_listener_inside_is_not_chosen(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        good = ports.free_port_range(10, avoid=range(taken - 20, taken + 21))
        # The first base offered has the listener at its offset 5; the second is free.
        offered = iter([taken - 5, good])
        monkeypatch.setattr(ports, "free_port", lambda: next(offered))
        assert ports.free_port_range(10) == good


def test_a_range_past_the_last_port_is_not_chosen(monkeypatch):
    offered = iter([65530, 40000])
    monkeypatch.setattr(ports, "free_port", lambda: next(offered))
    monkeypatch.setattr(ports, "_all_bindable", lambda candidates: True)
    assert ports.free_port_range(10) == 40000


def test_the_retries_are_bounded(monkeypatch):
    asked = []
    monkeypatch.setattr(ports, "free_port", lambda: asked.append(1) or 40000)
    monkeypatch.setattr(ports, "_all_bindable", lambda candidates: False)
    with pytest.raises(RuntimeError, match="no 100 consecutive free loopback ports found in 3 attempts"):
        ports.free_port_range(100, attempts=3)
    assert len(asked) == 3


def test_ranges_share_no_port(monkeypatch):
    # The kernel offering the same base again (it was released): the second range moves on.
    offered = iter([41000, 41050, 41100, 42000])
    monkeypatch.setattr(ports, "free_port", lambda: next(offered))
    monkeypatch.setattr(ports, "_all_bindable", lambda candidates: True)
    assert ports.free_port_ranges(100, 2) == [41000, 41100]


def test_ranges_from_the_kernel_are_disjoint_and_free():
    bases = ports.free_port_ranges(100, 2, 1, 1, 1)
    used = [port for base, count in zip(bases, (100, 2, 1, 1, 1)) for port in range(base, base + count)]
    assert len(used) == len(set(used)) == 105
    assert all(bindable(port) for port in used)


@pytest.mark.parametrize("worker, expected", [("", (23000, 26000)), ("gw0", (26000, 29000)), ("gw1", (29000, 32000)),
                                              ("gw2", (23000, 26000)), ("master", (23000, 26000))])
def test_each_xdist_worker_picks_from_a_window_of_its_own_below_the_ephemeral_range(worker, expected):
    assert ports.window(worker) == expected
    assert expected[1] <= 32768


def test_a_free_port_is_of_the_window_and_binds(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    for _attempt in range(20):
        port = ports.free_port()
        assert 29000 <= port < 32000 - ports.RANGE_ROOM and bindable(port)


def test_a_busy_port_is_not_offered(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", ports.free_port()))
        busy.listen()
        taken = busy.getsockname()[1]
        offered = iter([taken, taken + 1])
        monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(offered))
        assert ports.free_port() == taken + 1
