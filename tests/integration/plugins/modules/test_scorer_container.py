"""scorer_container through ansible-playbook against the real Docker Engine and a real registry
(htpasswd auth) holding the test scorer image under two releases."""

import socket
import subprocess
import time

import pytest

from emulator.models import make_model_zip
from utils.playbook import run_playbook
from utils.ports import free_port
from utils.docker import docker, inspect
from utils.scorer import NEVER_READY, REPO_ROOT, SAMPLE, SCORE_ONES, score


@pytest.fixture
def model(tmp_path):
    return make_model_zip(tmp_path / "model.zip")


@pytest.fixture
def port():
    return free_port()


def run(tmp_path, registry, name, port, args=(), callback="json", **options):
    task = dict({
        "name": name, "image": registry.repository, "sparkflows_release": "3.1.0",
        "registry_username": registry.username, "registry_password": registry.password,
        "host_port": port, "bind_address": "127.0.0.1", "smoke_payload": SAMPLE, "health_timeout": 30,
    }, **options)
    return run_playbook(tmp_path, [{"name": "Scorer", "sparkflows.mlops.scorer_container": task}], args=args,
                        callback=callback)


def test_pulls_with_auth_starts_scores_then_unchanged(tmp_path, scorer_registry, container_name, model, port):
    scorer_registry.forget_local("3.1.0")
    first = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), model_id="101",
                model_sha256="a" * 64)
    assert first.rc == 0, first.stdout
    assert first.result["changed"] is True
    assert "pulled %s:3.1.0" % scorer_registry.repository in first.result["actions"]
    assert first.result["health"]["smoke"]["status"] == 200
    assert score(port) == (200, {"predictions": [0, 0]})
    labels = inspect(container_name)["Config"]["Labels"]
    assert (labels["io.sparkflows.model.id"], labels["io.sparkflows.model.sha256"], labels["io.sparkflows.release"]) \
        == ("101", "a" * 64, "3.1.0")
    mount = inspect(container_name)["Mounts"][0]
    assert (mount["Source"], mount["Destination"], mount["RW"]) == (str(model), "/opt/sparkflows/model", False)

    second = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), model_id="101",
                 model_sha256="a" * 64)
    assert second.rc == 0, second.stdout
    assert (second.result["changed"], second.result["changed_fields"], second.result["actions"]) == (False, [], [])
    assert second.result["container"]["id"] == first.result["container"]["id"]


def test_check_mode_reports_a_new_model_and_changes_nothing(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model), model_sha256="a" * 64).rc == 0
    before = inspect(container_name)
    checked = run(tmp_path, scorer_registry, container_name, port, args=["--check", "--diff"],
                  model_path=str(model), model_sha256="b" * 64)
    assert checked.rc == 0, checked.stdout
    assert checked.result["changed"] is True
    assert checked.result["changed_fields"] == ["labels"]
    diff = checked.result["diff"]
    assert diff["before"]["labels"]["io.sparkflows.model.sha256"] == "a" * 64
    assert diff["after"]["labels"]["io.sparkflows.model.sha256"] == "b" * 64
    after = inspect(container_name)
    assert (after["Id"], after["State"]["StartedAt"]) == (before["Id"], before["State"]["StartedAt"])


def test_new_model_is_switched_blue_green(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model), model_sha256="a" * 64).rc == 0
    old_id = inspect(container_name)["Id"]
    make_model_zip(model, score_py=SCORE_ONES)
    update = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), model_sha256="c" * 64)
    assert update.rc == 0, update.stdout
    actions = update.result["actions"]
    # The candidate proved itself before the serving container was touched.
    assert actions.index("%s-candidate healthy" % container_name) < actions.index("created %s" % container_name)
    assert update.result["recreated"] is True
    assert inspect(container_name)["Id"] != old_id
    assert inspect(container_name + "-candidate") is None and inspect(container_name + "-retired") is None
    assert score(port) == (200, {"predictions": [1, 1]})


def test_health_never_green_keeps_the_old_container_serving(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model), model_sha256="a" * 64).rc == 0
    old = inspect(container_name)
    never_ready = make_model_zip(tmp_path / "never-ready.zip", score_py=NEVER_READY)
    failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(never_ready),
                 model_sha256="d" * 64, health_timeout=3)
    assert failed.rc != 0
    msg = failed.result["msg"]
    assert "was not healthy within 3.0s" in msg and "keeps serving, unchanged" in msg, msg
    now = inspect(container_name)
    assert (now["Id"], now["State"]["StartedAt"]) == (old["Id"], old["State"]["StartedAt"])
    assert inspect(container_name + "-candidate") is None
    assert score(port) == (200, {"predictions": [0, 0]})


def test_container_that_exits_at_start_fails_with_its_log(tmp_path, scorer_registry, container_name, port):
    broken = make_model_zip(tmp_path / "broken.zip", score_py=None)
    failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(broken))
    assert failed.rc != 0
    msg = failed.result["msg"]
    assert msg.startswith(container_name + " exited at start (") and "cannot load the model" in msg, msg
    assert inspect(container_name) is None


def test_release_mismatch_is_refused_before_anything(tmp_path, scorer_registry, container_name, model, port):
    failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), image_tag="3.2.0")
    assert failed.rc != 0
    assert failed.result["msg"] == ("image tag 3.2.0 does not match Sparkflows release 3.1.0 (expected tag 3.1.0); "
                                    "set allow_release_mismatch to run it anyway")
    assert inspect(container_name) is None
    allowed = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), image_tag="3.2.0",
                  allow_release_mismatch=True)
    assert allowed.rc == 0, allowed.stdout
    assert inspect(container_name)["Config"]["Image"] == scorer_registry.repository + ":3.2.0"


def test_tag_not_in_registry(tmp_path, scorer_registry, container_name, model, port):
    failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), sparkflows_release="9.9.9")
    assert failed.rc != 0
    assert failed.result["msg"].startswith("image %s:9.9.9 is not in registry %s"
                                           % (scorer_registry.repository, scorer_registry.address)), failed.result["msg"]
    assert inspect(container_name) is None


def test_wrong_registry_password_fails_without_echoing_it(tmp_path, scorer_registry, container_name, model, port):
    scorer_registry.forget_local("3.2.0")
    wrong = "not-the-pull-password-7f3a"
    failed = run(tmp_path, scorer_registry, container_name, port, args=["-vvv"], callback="default", model_path=str(model),
                 sparkflows_release="3.2.0", registry_password=wrong)
    assert failed.rc != 0
    assert "registry %s refused sfmlops-pull" % scorer_registry.address in failed.stdout
    assert wrong not in failed.stdout + failed.stderr
    assert inspect(container_name) is None


def test_host_port_taken(tmp_path, scorer_registry, container_name, model, port):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(model))
    assert failed.rc != 0
    assert failed.result["msg"].startswith("host port %d on 127.0.0.1 is already taken" % port), failed.result["msg"]
    assert inspect(container_name) is None


def test_a_stopped_scorer_that_cannot_start_is_kept(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model), state="stopped").rc == 0
    stopped_id = inspect(container_name)["Id"]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(model))
    assert failed.rc != 0
    assert failed.result["msg"].startswith("host port %d on 127.0.0.1 is already taken" % port), failed.result["msg"]
    assert inspect(container_name)["Id"] == stopped_id


def test_model_path_missing(tmp_path, scorer_registry, container_name, port):
    failed = run(tmp_path, scorer_registry, container_name, port, model_path=str(tmp_path / "nope.zip"))
    assert failed.rc != 0
    assert failed.result["msg"].startswith("model_path %s does not exist on this host" % (tmp_path / "nope.zip"))
    assert inspect(container_name) is None


def test_limits_and_restart_policy_change_in_place(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model)).rc == 0
    old = inspect(container_name)
    update = run(tmp_path, scorer_registry, container_name, port, args=["--diff"], model_path=str(model),
                 memory="256m", cpus=0.5, restart_policy="on-failure")
    assert update.rc == 0, update.stdout
    assert update.result["changed_fields"] == ["cpus", "memory", "restart_policy"]
    now = inspect(container_name)
    assert (now["Id"], now["State"]["StartedAt"]) == (old["Id"], old["State"]["StartedAt"])
    host = now["HostConfig"]
    assert (host["Memory"], host["CpuQuota"] / host["CpuPeriod"], host["RestartPolicy"]["Name"]) \
        == (256 << 20, 0.5, "on-failure")
    again = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), memory="256m", cpus=0.5,
                restart_policy="on-failure")
    assert again.result["changed"] is False


def test_stopped_then_absent(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model)).rc == 0
    running = inspect(container_name)
    would_stop = run(tmp_path, scorer_registry, container_name, port, args=["--check", "--diff"],
                     model_path=str(model), state="stopped")
    assert (would_stop.rc, would_stop.result["changed"]) == (0, True), would_stop.stdout
    assert inspect(container_name)["State"] == running["State"]
    stopped = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), state="stopped")
    assert (stopped.rc, stopped.result["changed"]) == (0, True)
    assert inspect(container_name)["State"]["Running"] is False
    would_remove = run(tmp_path, scorer_registry, container_name, port, args=["--check", "--diff"], state="absent")
    assert (would_remove.rc, would_remove.result["changed"]) == (0, True), would_remove.stdout
    assert would_remove.result["container"] is None
    assert inspect(container_name)["Id"] == running["Id"]
    removed = run(tmp_path, scorer_registry, container_name, port, state="absent")
    assert (removed.rc, removed.result["changed"]) == (0, True)
    assert inspect(container_name) is None
    again = run(tmp_path, scorer_registry, container_name, port, state="absent")
    assert (again.rc, again.result["changed"]) == (0, False)
    checked_again = run(tmp_path, scorer_registry, container_name, port, args=["--check"], state="absent")
    assert (checked_again.rc, checked_again.result["changed"]) == (0, False)


# dockerd writes its PID here (its default --pidfile); `pidof dockerd` would also list the inner
# engines of lab scorer hosts, newest first.
ENGINE_PIDFILE = "/var/run/docker.pid"


def engine_pid():
    """The PID of the engine the docker CLI (and so the module) talks to."""
    pid = int(open(ENGINE_PIDFILE).read().strip())
    assert open("/proc/%d/comm" % pid).read().strip() == "dockerd", "%s does not name a running dockerd" % ENGINE_PIDFILE
    return pid


@pytest.mark.engine_restart
def test_restarted_engine_brings_the_scorer_back(tmp_path, scorer_registry, container_name, model, port):
    assert run(tmp_path, scorer_registry, container_name, port, model_path=str(model)).rc == 0
    started = inspect(container_name)["State"]["StartedAt"]
    # Stop the engine under test the way an upgrade or a crash-restart would, then start it again
    # with engine.sh, the suite's supervisor of this machine's engine.
    pid = engine_pid()
    subprocess.run(["kill", str(pid)], check=True)
    deadline = time.monotonic() + 60
    while subprocess.run(["kill", "-0", str(pid)], capture_output=True, check=False).returncode == 0:
        assert time.monotonic() < deadline, "dockerd did not stop within 60 s"
        time.sleep(0.5)
    assert docker("info", timeout=30).returncode != 0, "another engine still answers the docker CLI"
    subprocess.run([str(REPO_ROOT / "tests" / "lab" / "engine.sh")], check=True, timeout=120)
    assert engine_pid() != pid
    deadline = time.monotonic() + 60
    answer = (None, None)
    while time.monotonic() < deadline:
        try:
            answer = score(port, timeout=2)
        except OSError:
            answer = (None, None)
        if answer[0] == 200:
            break
        time.sleep(0.5)
    assert answer == (200, {"predictions": [0, 0]})
    state = inspect(container_name)["State"]
    # Started again by the new engine (its restart policy), not a container that kept running
    # (to the second: stopping and starting an engine takes longer).
    assert state["Running"] is True and state["StartedAt"][:19] > started[:19], (started, state)


def test_lifting_limits_and_dropping_env_recreate(tmp_path, scorer_registry, container_name, model, port):
    first = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), memory="256m", cpus=0.5,
                env={"SCORER_THREADS": "2"})
    assert first.rc == 0, first.stdout
    lifted = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), memory="0", cpus=0)
    assert lifted.rc == 0, lifted.stdout
    assert (lifted.result["changed_fields"], lifted.result["recreated"]) == (["cpus", "labels", "memory"], True)
    now = inspect(container_name)
    assert now["Id"] != first.result["container"]["id"]
    assert (now["HostConfig"]["Memory"], now["HostConfig"]["CpuQuota"]) == (0, 0)
    assert not [e for e in now["Config"]["Env"] if e.startswith("SCORER_THREADS=")]
    again = run(tmp_path, scorer_registry, container_name, port, model_path=str(model), memory="0", cpus=0)
    assert again.result["changed"] is False, again.stdout


def test_env_secrets_reach_the_container_and_are_never_shown(tmp_path, scorer_registry, container_name, model, port):
    # A secret-looking name, a plain name listed in secret_env, then the password rotated: the
    # container gets every value; the results (JSON callback), the diff and the warnings none.
    old, new, dsn = ("sfmlops-%s-%s" % (what, container_name) for what in ("old-pw", "new-pw", "dsn"))
    options = dict(model_path=str(model), secret_env=["FEATURE_STORE_DSN"], labels={"team": "churn"})
    first = run(tmp_path, scorer_registry, container_name, port,
                env={"DB_PASSWORD": old, "FEATURE_STORE_DSN": dsn, "THREADS": "2"}, **options)
    assert first.rc == 0, first.stdout
    assert {"DB_PASSWORD=" + old, "FEATURE_STORE_DSN=" + dsn, "THREADS=2"} <= set(inspect(container_name)["Config"]["Env"])
    shown = first.result["invocation"]["module_args"]["env"]
    assert shown == {"DB_PASSWORD": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER",
                     "FEATURE_STORE_DSN": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "THREADS": "2"}

    rotated = run(tmp_path, scorer_registry, container_name, port, args=["--check", "--diff"],
                  env={"DB_PASSWORD": new, "FEATURE_STORE_DSN": dsn, "THREADS": "2"}, **options)
    assert rotated.rc == 0, rotated.stdout
    assert (rotated.result["changed"], rotated.result["changed_fields"]) == (True, ["env"])
    diff = rotated.result["diff"]
    # The old value is not among this run's: masked by its name (and the listed one by secret_env).
    assert diff["before"]["env"] == {"DB_PASSWORD": "********", "FEATURE_STORE_DSN": "********", "THREADS": "2"}
    assert diff["after"]["env"] == diff["before"]["env"]
    everything = first.stdout + first.stderr + rotated.stdout + rotated.stderr
    assert [value for value in (old, new, dsn) if value in everything] == []
