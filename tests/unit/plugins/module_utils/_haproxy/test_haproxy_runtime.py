"""The HAProxy runtime API client, against answers recorded from HAProxy 2.6.12 (Debian 12):
what it reads of `show stat` and `show servers state`, how a refused command or an answer of
unknown shape fails, and that every connection carries one command and is closed."""

import pathlib
import re
import socket

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy import runtime as runtime_api
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import Runtime, RuntimeApiError

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "haproxy"
SOCKET = "/run/haproxy/admin.sock"
CHURN, UPSELL = "scorer_churn-model", "scorer_upsell"


def recorded(name):
    return (FIXTURES / name).read_text()


READY = {"show stat": recorded("show-stat-ready.csv"), "show servers state": recorded("show-servers-state-ready.txt")}
DRAIN_MAINT = {"show stat": recorded("show-stat-drain-maint.csv"),
               "show servers state": recorded("show-servers-state-drain-maint.txt")}


class FakeSocket(object):
    """One connection to the runtime API: answers the command sent, in small chunks."""

    def __init__(self, balancer):
        self.balancer = balancer
        self.sent = b""
        self.timeout = None
        self.closed = False
        self._answer = None

    def settimeout(self, timeout):
        self.timeout = timeout

    def sendall(self, data):
        self.sent += data

    def recv(self, size):
        if self._answer is None:
            self._answer = self.balancer.answer(self.sent.decode()).encode()
        if isinstance(self.balancer.fail_recv, Exception):
            raise self.balancer.fail_recv
        chunk, self._answer = self._answer[:min(size, self.balancer.chunk)], self._answer[min(size, self.balancer.chunk):]
        return chunk

    def close(self):
        self.closed = True


class FakeBalancer(object):
    """The connect callable of a Runtime: each call is a new connection; answers by command,
    HAProxy's own "Unknown command" answer for any other."""

    def __init__(self, answers=None, chunk=1000, fail_recv=None):
        self.answers = dict(answers or {})
        self.chunk = chunk
        self.fail_recv = fail_recv
        self.sockets = []

    def answer(self, sent):
        assert sent.endswith("\n") and sent.count("\n") == 1, "one command per connection, got %r" % sent
        return self.answers.get(sent.strip(), recorded("unknown-command.txt"))

    def __call__(self):
        conn = FakeSocket(self)
        self.sockets.append(conn)
        return conn

    @property
    def commands(self):
        return [s.sent.decode().strip() for s in self.sockets]


def runtime(answers=None, **kwargs):
    balancer = FakeBalancer(answers, **kwargs)
    return Runtime(SOCKET, 5.0, connect=balancer), balancer


def with_field(csv_text, backend, server, column, value):
    """The recorded `show stat` with one field of one server line replaced."""
    lines = csv_text.splitlines()
    columns = lines[0][2:].split(",")
    for number, line in enumerate(lines):
        fields = line.split(",")
        if fields[:2] == [backend, server]:
            fields[columns.index(column)] = value
            lines[number] = ",".join(fields)
    return "\n".join(lines) + "\n"


def test_stat_lists_the_backend_servers_only():
    rows = runtime(READY)[0].stat()
    assert [(r["backend"], r["server"]) for r in rows] == [(CHURN, "scorer1"), (CHURN, "scorer2"), (UPSELL, "scorer1")]


def test_stat_reads_status_address_check_and_counters_as_numbers():
    scorer1, scorer2, _upsell = runtime(READY)[0].stat()
    assert (scorer1["status"], scorer1["address"], scorer1["check_status"]) == ("UP", "127.0.0.1:19001", "L7OK")
    assert (scorer1["stot"], scorer1["hrsp_2xx"], scorer1["weight"], scorer1["rtime"], scorer1["ttime"]) == (3, 3, 100, 2, 2)
    assert (scorer2["status"], scorer2["check_status"], scorer2["chkdown"]) == ("DOWN", "L4CON", 1)
    assert all(isinstance(scorer1[key], int) for key in runtime_api.COUNTERS)


def test_stat_reads_an_empty_counter_as_zero():
    text = with_field(READY["show stat"], CHURN, "scorer1", "hrsp_5xx", "")
    assert runtime(dict(READY, **{"show stat": text}))[0].stat()[0]["hrsp_5xx"] == 0


def test_stat_of_a_drained_and_a_maintained_server():
    rows = runtime(DRAIN_MAINT)[0].stat()
    assert [(r["server"], r["status"], r["weight"]) for r in rows] == [("scorer1", "DRAIN", 100), ("scorer2", "DOWN", 10),
                                                                       ("scorer1", "MAINT", 100)]


def test_servers_state_of_ready_servers():
    states = runtime(READY)[0].servers_state()
    assert states == {
        (CHURN, "scorer1"): dict(admin_state="ready", weight=100, initial_weight=100, operational=True),
        (CHURN, "scorer2"): dict(admin_state="ready", weight=100, initial_weight=100, operational=False),
        (UPSELL, "scorer1"): dict(admin_state="ready", weight=100, initial_weight=100, operational=True),
    }


def test_servers_state_reads_drain_and_maint_from_the_admin_bits_and_the_weights():
    states = runtime(DRAIN_MAINT)[0].servers_state()
    assert states[(CHURN, "scorer1")]["admin_state"] == "drain"  # srv_admin_state 8: forced drain
    assert states[(UPSELL, "scorer1")]["admin_state"] == "maint"  # srv_admin_state 1: forced maintenance
    assert states[(CHURN, "scorer2")] == dict(admin_state="ready", weight=10, initial_weight=100, operational=False)


@pytest.mark.parametrize("bits, state", [(0, "ready"), (1, "maint"), (8, "drain"), (9, "maint"), (0x18, "drain")])
def test_admin_state_from_the_forced_bits(bits, state):
    text = recorded("show-servers-state-ready.txt").replace(
        "3 scorer_churn-model 1 scorer1 127.0.0.1 2 0 ", "3 scorer_churn-model 1 scorer1 127.0.0.1 2 %d " % bits)
    states = runtime({"show servers state": text})[0].servers_state()
    assert states[(CHURN, "scorer1")]["admin_state"] == state


def test_servers_joins_each_stat_line_with_its_admin_state_and_weights():
    servers = runtime(DRAIN_MAINT)[0].servers()
    assert [(s["backend"], s["server"], s["status"], s["admin_state"], s["weight"], s["initial_weight"]) for s in servers] == [
        (CHURN, "scorer1", "DRAIN", "drain", 100, 100),
        (CHURN, "scorer2", "DOWN", "ready", 10, 100),
        (UPSELL, "scorer1", "MAINT", "maint", 100, 100),
    ]
    assert servers[0]["stot"] == 3 and servers[0]["address"] == "127.0.0.1:19001"


def test_servers_refuses_a_stat_line_missing_from_the_servers_state():
    state = "\n".join(line for line in READY["show servers state"].splitlines() if "scorer_upsell" not in line) + "\n"
    with pytest.raises(RuntimeApiError, match="scorer_upsell/scorer1 is in show stat but not in show servers state on "
                                              + SOCKET):
        runtime(dict(READY, **{"show servers state": state}))[0].servers()


def test_each_command_has_its_own_connection_closed_after_it():
    api, balancer = runtime(READY)
    api.servers()
    assert balancer.commands == ["show servers state", "show stat"]
    assert all(s.closed for s in balancer.sockets)


def test_an_answer_in_many_chunks_is_read_whole():
    assert runtime(READY, chunk=7)[0].stat() == runtime(READY)[0].stat()


def test_set_state_and_weight_send_the_commands_and_accept_an_empty_answer():
    api, balancer = runtime({"set server %s/scorer1 state drain" % CHURN: "\n", "set server %s/scorer1 weight 10" % CHURN: ""})
    api.set_state(CHURN, "scorer1", "drain")
    api.set_weight(CHURN, "scorer1", 10)
    assert balancer.commands == ["set server %s/scorer1 state drain" % CHURN, "set server %s/scorer1 weight 10" % CHURN]


def test_act_fails_with_haproxys_no_such_server():
    api = runtime({"set server %s/scorer9 state maint" % CHURN: recorded("no-such-server.txt")})[0]
    with pytest.raises(RuntimeApiError) as error:
        api.set_state(CHURN, "scorer9", "maint")
    assert str(error.value) == "set server %s/scorer9 state maint on %s: No such server." % (CHURN, SOCKET)


def test_act_fails_with_the_first_line_of_unknown_command():
    api = runtime()[0]
    with pytest.raises(RuntimeApiError) as error:
        api.act("set sever x/y state ready")
    assert str(error.value) == ("set sever x/y state ready on %s: Unknown command, but maybe one of the following ones "
                                "is a better match:" % SOCKET)


@pytest.mark.parametrize("answer, shown", [("garbage\nmore garbage\n", "garbage"), ("", "(nothing)"), ("\n\n", "(nothing)"),
                                           (recorded("unknown-command.txt"), "Unknown command, but maybe")])
def test_show_stat_of_unknown_shape_is_refused_naming_the_command(answer, shown):
    with pytest.raises(RuntimeApiError, match="^" + re.escape("show stat on %s: unrecognised answer: %s" % (SOCKET, shown))):
        runtime({"show stat": answer})[0].stat()


@pytest.mark.parametrize("answer, shown", [("garbage\n", "garbage"), ("", "(nothing)"), ("1\n", "1"),
                                           ("1\n# pxname,svname\n", "1"),
                                           (recorded("show-stat-ready.csv"), "# pxname,svname,")])
def test_show_servers_state_of_unknown_shape_is_refused_naming_the_command(answer, shown):
    with pytest.raises(RuntimeApiError,
                       match="^" + re.escape("show servers state on %s: unrecognised answer: %s" % (SOCKET, shown))):
        runtime({"show servers state": answer})[0].servers_state()


def test_show_servers_state_with_other_columns_is_refused():
    text = READY["show servers state"].replace("# be_id be_name srv_id srv_name", "# be_id be_name srv_name srv_id")
    with pytest.raises(RuntimeApiError, match="show servers state on %s: unrecognised columns: be_id be_name srv_name srv_id"
                       % SOCKET):
        runtime({"show servers state": text})[0].servers_state()


def test_a_counter_that_is_not_a_number_is_refused():
    text = with_field(READY["show stat"], CHURN, "scorer1", "scur", "many")
    with pytest.raises(RuntimeApiError, match="show stat on %s: scur is not a number: 'many'" % SOCKET):
        runtime({"show stat": text})[0].stat()


def test_an_admin_state_that_is_not_a_number_is_refused():
    text = READY["show servers state"].replace("127.0.0.1 2 0 100 100 1", "127.0.0.1 2 x 100 100 1", 1)
    with pytest.raises(RuntimeApiError, match="show servers state on %s: srv_admin_state is not a number: 'x'" % SOCKET):
        runtime({"show servers state": text})[0].servers_state()


def test_a_connection_failure_names_the_socket():
    def refused():
        raise ConnectionRefusedError(111, "Connection refused")
    with pytest.raises(RuntimeApiError, match="cannot reach the HAProxy runtime API on %s: .*Connection refused.*"
                                              "stats socket %s level admin" % (SOCKET, SOCKET)):
        Runtime(SOCKET, connect=refused).stat()


def test_a_missing_unix_socket_names_its_path(tmp_path):
    path = str(tmp_path / "admin.sock")
    with pytest.raises(RuntimeApiError, match="cannot reach the HAProxy runtime API on %s" % path):
        Runtime(path, timeout=1.0).stat()


def test_a_read_timeout_names_the_command_and_closes_the_connection():
    api, balancer = runtime(READY, fail_recv=socket.timeout("timed out"))
    with pytest.raises(RuntimeApiError, match="show stat on %s: timed out" % SOCKET):
        api.stat()
    assert balancer.sockets[0].closed


def test_an_answer_larger_than_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(runtime_api, "MAX_ANSWER", 100)
    with pytest.raises(RuntimeApiError, match="show stat on %s: answer larger than 100 bytes" % SOCKET):
        runtime(READY, chunk=64)[0].stat()


def test_an_answer_that_never_ends_is_bounded_in_time(monkeypatch):
    class Clock(object):
        now = 0.0

        def monotonic(self):
            Clock.now += 1.0
            return Clock.now

    monkeypatch.setattr(runtime_api, "time", Clock())
    with pytest.raises(RuntimeApiError, match="show stat on %s: no complete answer within 5.0 s" % SOCKET):
        runtime(READY, chunk=1)[0].stat()
