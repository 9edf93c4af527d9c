"""Benchmark of a no-op scorer_container run against community.docker.docker_container (the
baseline) managing the same unchanged container, in one run (target ratio <= 0.8).

One scorer container is started from the test registry's image; then one playbook runs both
modules ROUNDS times each, alternating, with options that describe the container as it is, so
every task must report changed=false. The task durations of the json callback are compared
(medians): both pay the same Ansible task overhead, so the ratio is of whole tasks.
Usage: python tests/bench/bench_scorer_container.py [--rounds 10]
"""

import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests"))

from emulator.models import make_model_zip  # noqa: E402
from utils.ports import free_port  # noqa: E402
from utils.scorer import start_registry  # noqa: E402

NAME = "sfmlops-bench-scorer"


def playbook(path, tasks):
    play = [{"name": "bench", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": sys.executable}, "tasks": tasks}]
    path.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_DEPRECATION_WARNINGS="0")
    done = subprocess.run(["ansible-playbook", "-i", "localhost,", str(path)], capture_output=True, text=True,
                          env=env, timeout=900, check=False)
    if done.returncode != 0:
        raise SystemExit("playbook failed:\n" + done.stdout[-4000:] + done.stderr[-2000:])
    return json.loads(done.stdout)["plays"][0]["tasks"]


def seconds(task):
    parse = datetime.datetime.fromisoformat
    return (parse(task["task"]["duration"]["end"].replace("Z", "+00:00"))
            - parse(task["task"]["duration"]["start"].replace("Z", "+00:00"))).total_seconds()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    registry = start_registry()
    password, image = registry.password, registry.repository
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        model = make_model_zip(tmp / "model.zip")
        port = free_port()
        ours = {"sparkflows.mlops.scorer_container": {
            "name": NAME, "image": image, "sparkflows_release": "3.1.0", "registry_username": registry.username,
            "registry_password": password, "model_path": str(model), "host_port": port, "bind_address": "127.0.0.1"}}
        theirs = {"community.docker.docker_container": {
            "name": NAME, "image": image + ":3.1.0", "state": "started", "restart_policy": "unless-stopped",
            "published_ports": ["127.0.0.1:%d:8080" % port], "volumes": ["%s:/opt/sparkflows/model:ro" % model],
            "labels": {"io.sparkflows.managed-by": "sparkflows.mlops.scorer_container",
                       "io.sparkflows.release": "3.1.0"}}}
        try:
            playbook(tmp / "setup.yml", [ours])
            tasks = playbook(tmp / "bench.yml", [dict(ours, name="scorer_container"), dict(theirs, name="docker_container")]
                             * args.rounds)
        finally:
            subprocess.run(["docker", "rm", "-f", NAME], capture_output=True, check=False)
            registry.stop()
    durations = {"scorer_container": [], "docker_container": []}
    for task in tasks:
        result = task["hosts"]["localhost"]
        if result.get("changed") or result.get("failed"):
            raise SystemExit("%s was not a no-op: %s" % (task["task"]["name"], json.dumps(result)[:2000]))
        durations[task["task"]["name"]].append(seconds(task))
    mine = statistics.median(durations["scorer_container"])
    baseline = statistics.median(durations["docker_container"])
    print("no-op task, median of %d: scorer_container %.3f s, community.docker.docker_container %.3f s"
          % (args.rounds, mine, baseline))
    print("ratio scorer_container / docker_container: %.2f (target <= 0.8)" % (mine / baseline))
    return 0 if mine / baseline <= 0.8 else 1


if __name__ == "__main__":
    sys.exit(main())
