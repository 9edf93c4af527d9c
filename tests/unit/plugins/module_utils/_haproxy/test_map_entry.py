"""haproxy_map_entry's logic against a fake HAProxy answering as HAProxy 2.6 answered (recorded:
fixtures/haproxy/map-answers.json): the map file written with only the key's line changed, the
running map set, added or deleted as it holds the key, nothing sent or written when both agree,
check mode, a map the running HAProxy has not loaded, no socket, and bad input refused."""

import json
import os
import pathlib

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy import map_entry
from ansible_collections.sparkflows.mlops.plugins.module_utils._haproxy.runtime import RuntimeApiError

ANSWERS = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "haproxy" / "map-answers.json")
                     .read_text())


class Host(object):
    def __init__(self, diff=False):
        self.diff = diff


class FakeHaproxy(object):
    """A running HAProxy holding map `path` with entries (None: the map is not loaded)."""

    def __init__(self, path, entries):
        self.path, self.entries, self.sent = path, entries, []

    def __call__(self, socket_path, timeout):
        return self

    def command(self, line):
        self.sent.append(line)
        verb, _map, path, *rest = line.split(" ")
        if self.entries is None:
            return ANSWERS["show map <file not loaded>"]
        assert path == self.path
        if verb == "show":
            return "".join("0x55a1184de%03d %s %s\n" % (n, k, v) for n, (k, v) in enumerate(self.entries)) + "\n"
        key = rest[0]
        held = any(k == key for k, _v in self.entries)
        if verb == "set":
            if not held:
                return ANSWERS["set map <key not held>"]
            self.entries = [(k, rest[1] if k == key else v) for k, v in self.entries]
            return ANSWERS["set map <key held>"]
        if verb == "add":
            self.entries.append((key, rest[1]))
            return ANSWERS["add map"]
        if verb == "del":
            self.entries = [(k, v) for k, v in self.entries if k != key]
            return ANSWERS["del map <key held>"] if held else ANSWERS["del map <key not held>"]
        raise AssertionError(line)

    def act(self, line):
        answer = self.command(line).strip()
        if answer:
            raise RuntimeApiError(answer)


@pytest.fixture
def files(tmp_path):
    socket_path = tmp_path / "proxy.sock"
    socket_path.write_text("")  # stands for the socket: the module looks for it before it connects
    return tmp_path / "live.map", socket_path


def run(monkeypatch, files, haproxy, check_mode=False, diff=False, **params):
    monkeypatch.setattr(map_entry, "Runtime", haproxy)
    values = dict(path=str(files[0]), key="model-churn", value="model-churn-green", state="present",
                  socket=str(files[1]), socket_timeout=10.0)
    values.update(params)
    return map_entry.run(values, check_mode, Host(diff))


def test_a_switch_changes_the_key_in_the_file_and_in_the_running_map(monkeypatch, files):
    files[0].write_text("# kept\nmodel-fraud model-fraud-blue\nmodel-churn model-churn-blue\n")
    haproxy = FakeHaproxy(str(files[0]), [("model-fraud", "model-fraud-blue"), ("model-churn", "model-churn-blue")])
    result = run(monkeypatch, files, haproxy, diff=True)
    assert files[0].read_text() == "# kept\nmodel-fraud model-fraud-blue\nmodel-churn model-churn-green\n"
    assert oct(os.stat(files[0]).st_mode & 0o777) == "0o644"
    assert haproxy.sent == ["show map %s" % files[0], "set map %s model-churn model-churn-green" % files[0]]
    assert (result["changed"], result["file_changed"], result["runtime_changed"], result["runtime"], result["previous"]) \
        == (True, True, True, "running", "model-churn-blue")
    assert result["diff"]["before"] == "model-churn model-churn-blue\n" and result["diff"]["after"] == "model-churn model-churn-green\n"
    # Again: both agree, nothing written or sent but the read.
    again = run(monkeypatch, files, haproxy)
    assert (again["changed"], haproxy.sent[-1]) == (False, "show map %s" % files[0])


def test_a_key_the_running_map_lacks_is_added_and_a_new_file_written(monkeypatch, files):
    haproxy = FakeHaproxy(str(files[0]), [])
    result = run(monkeypatch, files, haproxy)
    assert files[0].read_text() == "model-churn model-churn-green\n"
    assert haproxy.sent[-1] == "add map %s model-churn model-churn-green" % files[0]
    assert (result["changed"], result["previous"]) == (True, None)


def test_a_key_held_twice_at_run_time_is_set_as_one(monkeypatch, files):
    files[0].write_text("model-churn model-churn-green\n")
    haproxy = FakeHaproxy(str(files[0]), [("model-churn", "model-churn-green"), ("model-churn", "y")])
    run(monkeypatch, files, haproxy)
    assert haproxy.sent[-1] == "set map %s model-churn model-churn-green" % files[0]
    assert haproxy.entries == [("model-churn", "model-churn-green"), ("model-churn", "model-churn-green")]


def test_absent_removes_the_key_from_both(monkeypatch, files):
    files[0].write_text("model-churn model-churn-blue\nmodel-fraud model-fraud-blue\n")
    haproxy = FakeHaproxy(str(files[0]), [("model-churn", "model-churn-blue"), ("model-fraud", "model-fraud-blue")])
    result = run(monkeypatch, files, haproxy, state="absent", value=None)
    assert files[0].read_text() == "model-fraud model-fraud-blue\n"
    assert haproxy.sent[-1] == "del map %s model-churn" % files[0] and result["changed"]
    assert run(monkeypatch, files, haproxy, state="absent", value=None)["changed"] is False


def test_check_mode_reads_and_changes_nothing(monkeypatch, files):
    files[0].write_text("model-churn model-churn-blue\n")
    haproxy = FakeHaproxy(str(files[0]), [("model-churn", "model-churn-blue")])
    result = run(monkeypatch, files, haproxy, check_mode=True)
    assert (result["changed"], result["file_changed"], result["runtime_changed"]) == (True, True, True)
    assert files[0].read_text() == "model-churn model-churn-blue\n"
    assert haproxy.sent == ["show map %s" % files[0]]


def test_a_map_the_running_haproxy_has_not_loaded_is_written_to_the_file_only(monkeypatch, files):
    haproxy = FakeHaproxy(str(files[0]), None)
    result = run(monkeypatch, files, haproxy)
    assert (result["runtime"], result["runtime_changed"], result["changed"]) == ("map not loaded", False, True)
    assert haproxy.sent == ["show map %s" % files[0]]


def test_without_the_socket_only_the_file(monkeypatch, files):
    files[1].unlink()
    result = run(monkeypatch, files, FakeHaproxy(str(files[0]), []))
    written = files[0].read_text()
    assert (result["runtime"], result["changed"], written) == ("not running", True, "model-churn model-churn-green\n")


def test_an_answer_it_does_not_recognise_fails_naming_the_map(monkeypatch, files):
    class Odd(FakeHaproxy):
        def command(self, line):
            return "Permission denied\n"
    with pytest.raises(ModuleFailure, match="show map .*: unrecognised answer: Permission denied"):
        run(monkeypatch, files, Odd(str(files[0]), []))


@pytest.mark.parametrize("params, message", [
    (dict(value=None), "value is required with state=present"),
    (dict(key="two words"), "key and value must be single words"),
    (dict(value="a b"), "key and value must be single words"),
    (dict(socket_timeout=0), "socket_timeout must be more than 0 seconds"),
])
def test_bad_input_is_refused_and_nothing_written(monkeypatch, files, params, message):
    haproxy = FakeHaproxy(str(files[0]), [])
    with pytest.raises(ModuleFailure, match=message):
        run(monkeypatch, files, haproxy, **params)
    assert not files[0].exists() and haproxy.sent == []


def test_a_map_file_in_a_missing_directory_fails_clearly(monkeypatch, files, tmp_path):
    with pytest.raises(ModuleFailure, match="the directory of the map file .* does not exist"):
        run(monkeypatch, files, FakeHaproxy(str(files[0]), []), path=str(tmp_path / "gone" / "live.map"))
