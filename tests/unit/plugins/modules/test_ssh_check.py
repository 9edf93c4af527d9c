"""ssh_check against a real SSH server in this test process (paramiko's server side, on
loopback): the host key is checked before anything is sent, the key is accepted or refused,
every wait is bounded."""

import socket
import threading

import paramiko
import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh.check import known_name
from utils.module import run_module, ssh_keygen
from utils.ports import free_port


class Server(paramiko.ServerInterface):
    """Accepts one public key; `true` exits 0, any other command 3."""

    def __init__(self, authorized):
        self.authorized = authorized
        self.attempts = 0
        self.commands = []
        self.executing = threading.Event()

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        self.attempts += 1
        return paramiko.AUTH_SUCCESSFUL if key.asbytes() == self.authorized.asbytes() else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED

    def check_channel_exec_request(self, channel, command):
        self.commands.append(command)
        self.executing.set()
        return True

    def answer(self, channel):
        """Answer the command once its request is acknowledged (not from inside the callback)."""
        if not self.executing.wait(10):
            return
        self.executing.clear()
        if self.commands[-1] == b"true":
            channel.send(b"ok\n")
            channel.send_exit_status(0)
        else:
            channel.send_stderr(b"no such command\n")
            channel.send_exit_status(3)


@pytest.fixture
def sshd(tmp_path):
    host_key = paramiko.Ed25519Key.from_private_key_file(ssh_keygen(tmp_path / "host"))
    client_path = ssh_keygen(tmp_path / "client")
    server = Server(paramiko.Ed25519Key.from_private_key_file(client_path))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(30)
    transports, channels = [], []

    def serve():
        for _attempt in range(8):  # bounded: a test makes at most a few connections
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(connection)
            transport.add_server_key(host_key)
            transports.append(transport)
            try:
                transport.start_server(server=server)
                channel = transport.accept(10)
                if channel is not None:
                    server.answer(channel)
                    channels.append(channel)  # a dropped Channel closes itself
            except (paramiko.SSHException, EOFError, OSError):
                pass

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    yield {"port": port, "host_key": "%s %s" % (host_key.get_name(), host_key.get_base64()),
           "key_path": client_path, "server": server}
    listener.close()
    for transport in transports:
        transport.close()


def check(tmp_path, **args):
    return run_module("ssh_check", tmp_path, **args)


def test_opens_a_session_with_the_key_and_the_known_host_key(tmp_path, sshd):
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], user="sparkflows",
                   key_path=sshd["key_path"], host_key=sshd["host_key"])
    assert result.get("failed") is not True, result
    assert result["changed"] is False and result["authenticated"] is True
    assert result["rc"] == 0 and result["stdout"] == "ok"
    assert result["host_key_type"] == "ssh-ed25519"
    # The name for known_hosts, as OpenSSH writes it for a port other than 22.
    assert result["known_hosts_name"] == "[127.0.0.1]:%d" % sshd["port"]


def test_known_hosts_file_with_a_port(tmp_path, sshd):
    known = tmp_path / "known_hosts"
    known.write_text("[127.0.0.1]:%d %s\n" % (sshd["port"], sshd["host_key"]))
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], user="sparkflows",
                   key_path=sshd["key_path"], known_hosts_path=str(known))
    assert result.get("failed") is not True and result["authenticated"] is True, result


def test_a_different_host_key_fails_before_authenticating(tmp_path, sshd):
    other = paramiko.Ed25519Key.from_private_key_file(ssh_keygen(tmp_path / "other"))
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], user="sparkflows", key_path=sshd["key_path"],
                   host_key="mlflow1 ssh-ed25519 %s" % other.get_base64())
    assert result["failed"] is True and "host key mismatch" in result["msg"], result
    assert sshd["server"].attempts == 0


def test_a_host_missing_from_known_hosts_is_never_accepted(tmp_path, sshd):
    known = tmp_path / "known_hosts"
    known.write_text("other.example.net %s\n" % sshd["host_key"])
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], authenticate=False, known_hosts_path=str(known))
    assert result["failed"] is True and "unknown" in result["msg"]


def test_host_key_only(tmp_path, sshd):
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], authenticate=False, host_key=sshd["host_key"])
    assert result.get("failed") is not True and result["authenticated"] is False
    assert sshd["server"].attempts == 0


def test_a_refused_key_is_a_clear_error(tmp_path, sshd):
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], user="sparkflows",
                   key_path=ssh_keygen(tmp_path / "stranger"), host_key=sshd["host_key"])
    assert result["failed"] is True and "refused the key SHA256:" in result["msg"]


def test_a_failing_command_fails_with_its_status(tmp_path, sshd):
    result = check(tmp_path, host="127.0.0.1", port=sshd["port"], user="sparkflows", key_path=sshd["key_path"],
                   host_key=sshd["host_key"], command="mlflow --version")
    assert result["failed"] is True and "exited 3" in result["msg"] and "no such command" in result["msg"]


def test_nothing_listening_is_unreachable(tmp_path, sshd):
    result = check(tmp_path, host="127.0.0.1", port=free_port(), authenticate=False, host_key=sshd["host_key"],
                   timeout=3)
    assert result["failed"] is True and "cannot reach 127.0.0.1:" in result["msg"]


def test_bad_arguments(tmp_path, sshd):
    assert "host_key" in check(tmp_path, host="h", authenticate=False)["msg"]
    assert "user" in check(tmp_path, host="h", host_key=sshd["host_key"])["msg"]
    result = check(tmp_path, host="h", authenticate=False, host_key="not a key")
    assert result["failed"] is True and "not an SSH public key" in result["msg"]


def test_check_mode_runs_the_same_check_and_reports_no_change(tmp_path, sshd):
    """Check mode is the point of a check: the session is opened and the command run as always
    (the documented behaviour), and a refused key fails the same way."""
    result = check(tmp_path, _ansible_check_mode=True, host="127.0.0.1", port=sshd["port"], user="sparkflows",
                   key_path=sshd["key_path"], host_key=sshd["host_key"])
    assert result.get("failed") is not True, result
    assert (result["changed"], result["authenticated"], result["stdout"]) == (False, True, "ok")
    assert sshd["server"].commands == [b"true"]
    refused = check(tmp_path, _ansible_check_mode=True, host="127.0.0.1", port=sshd["port"], user="sparkflows",
                    key_path=ssh_keygen(tmp_path / "stranger"), host_key=sshd["host_key"])
    assert refused["failed"] is True and sshd["server"].commands == [b"true"]


@pytest.mark.parametrize("host, port, name", [("mlflow1", 22, "mlflow1"), ("mlflow1", 2222, "[mlflow1]:2222")])
def test_known_hosts_name(host, port, name):
    assert known_name(host, port) == name
