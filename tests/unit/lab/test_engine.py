"""tests/lab/engine.sh: reuse a running engine, or fail in one clear line, bounded in time."""

import os
import subprocess
import time

import pytest

TIMEOUT = 60


@pytest.fixture
def engine(repo_root, fake_bin, tmp_path):
    def run(dockerd_script, docker_script="exit 1\n", wait=3):
        fake_bin("docker", docker_script)
        dockerd = fake_bin("fake-dockerd", dockerd_script)
        env = dict(
            fake_bin.env,
            SFMLOPS_DOCKERD=str(dockerd),
            SFMLOPS_DOCKERD_WAIT=str(wait),
            SFMLOPS_DOCKERD_LOG=str(tmp_path / "dockerd.log"),
        )
        return subprocess.run(
            [str(repo_root / "tests/lab/engine.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    return run


def test_running_engine_is_reused_and_no_dockerd_started(engine, tmp_path):
    marker = tmp_path / "dockerd-started"
    result = engine("touch %s\n" % marker, docker_script="exit 0\n")
    assert result.returncode == 0
    assert not marker.exists()


def test_dockerd_that_exits_at_start_fails_in_one_line(engine):
    result = engine("echo 'failed to start daemon: iptables not found'\nexit 1\n")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line]
    assert errors == ["ERROR: Docker Engine unavailable: dockerd exited at start: failed to start daemon: iptables not found"]


def test_dockerd_that_never_answers_times_out_and_is_stopped(engine, tmp_path):
    pidfile = tmp_path / "dockerd.pid"
    started = time.monotonic()
    result = engine("echo $$ > %s\nexec sleep 300\n" % pidfile, wait=2)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        "ERROR: Docker Engine unavailable: dockerd did not answer within 2s"
    )
    pid = int(pidfile.read_text())
    for _attempt in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("engine.sh left the dockerd it started running (pid %d)" % pid)
