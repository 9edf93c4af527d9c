"""Balancer benchmark: churn-model's latency through the balancer against direct to one scorer
(the baseline), p50 and p99, in one run; then a rollout of every lab scorer host under load
through the balancer.

A lab of its own (tests/lab/lab.sh: lb1 in front of scorer1 and scorer2) is brought up and
deployed first, outside the timing. The same wrk (Debian's), inside lb1, measures both: direct
is http://scorer1:8081/predict (lb1 is the one host the scorers let in), through the balancer
https://localhost:8443/predict (TLS, API key, both scorers behind it) - the same client, the
same share of the machine. Rounds alternate direct and balancer; each percentile is the median
of its rounds. Targets: balancer p50 <= 1.1 x direct, p99 <= 1.3 x direct; the rollout under
load: 0 socket errors, 0 answers >= 400.
Usage: python tests/bench/bench_lb.py [--seconds 15] [--rounds 3] [--connections 4]
"""

import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))

from emulator.models import make_model_zip  # noqa: E402
from utils.docker import docker  # noqa: E402
from utils.lab import Lab, all_vars, lb_vars, scorer_vars, ssh_vars  # noqa: E402
from utils.wrk import Wrk  # noqa: E402

SAMPLE = {"columns": ["age", "plan"], "data": [[42, "gold"]]}
TARGETS = {"p50": 1.1, "p99": 1.3}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="length of each measuring round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each (direct, balancer), alternating")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = pathlib.Path(tmp) / "state"
        lab = Lab("sfmlops-bench-lb", state)
        try:
            started = time.monotonic()
            up = lab.lab_sh("up")
            assert up.returncode == 0, up.stderr
            inventory = pathlib.Path(tmp) / "hosts.json"
            scorers = dict((host, {"ansible_port": lab.ports[host]}) for host in ("scorer1", "scorer2"))
            inventory.write_text(json.dumps({"all": {"children": {
                "scorers": {"hosts": scorers, "vars": scorer_vars(state)},
                "scorer_lbs": {"hosts": {"lb1": {"ansible_port": lab.ports["lb1"]}}, "vars": lb_vars(state)},
            }, "vars": dict(ssh_vars(state), **all_vars())}}))
            deployed = lab.playbook(inventory, "scorers.yml")
            assert deployed.returncode == 0, deployed.stdout[-3000:]
            # wrk inside lb1 (a fresh lab host: its package lists are empty).
            installed = docker("exec", lab.container("lb1"), "sh", "-c",
                               "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk", timeout=600)
            assert installed.returncode == 0, installed.stderr
            print("lab up, scorers deployed behind lb1, wrk in lb1: %.0f s (not timed below)" % (time.monotonic() - started))

            key = (state / "scorer-api-key").read_text().strip()
            lb1 = lab.container("lb1")
            direct = Wrk("http://scorer1:8081/predict", SAMPLE, connections=args.connections, container=lb1)
            balanced = Wrk("https://localhost:8443/predict", SAMPLE, headers={"X-API-Key": key},
                           connections=args.connections, container=lb1)
            measured = {"direct": [], "balancer": []}
            for _round in range(args.rounds):
                for name, load in (("direct", direct), ("balancer", balanced)):
                    numbers = load.run(args.seconds)
                    assert (numbers["socket_errors"], numbers["status"]) == (0, 0), numbers["output"]
                    measured[name].append(numbers)
                    print("  %-8s %7d requests  p50 %6.3f ms  p99 %6.3f ms" % (
                        name, numbers["requests"], numbers["p50_us"] / 1000.0, numbers["p99_us"] / 1000.0))
            misses = []
            for percentile in ("p50", "p99"):
                base = statistics.median(n["%s_us" % percentile] for n in measured["direct"])
                mine = statistics.median(n["%s_us" % percentile] for n in measured["balancer"])
                ratio = mine / base
                print("%s: balancer %.3f ms, direct %.3f ms: ratio %.2f (target <= %.1f)"
                      % (percentile, mine / 1000.0, base / 1000.0, ratio, TARGETS[percentile]))
                if ratio > TARGETS[percentile]:
                    misses.append(percentile)

            # Every scorer host rolled to a new model under load through the balancer.
            make_model_zip(state / "sparkflows" / "models" / "101.zip",
                           score_py="def score(rows):\n    return [1 for _ in rows]\n")
            load = balanced.start()
            started = time.monotonic()
            rolled = lab.playbook(inventory, "scorers.yml")
            seconds = time.monotonic() - started
            numbers = load.stop()
            assert rolled.returncode == 0, rolled.stdout[-3000:]
            steady = statistics.median(n["p99_us"] for n in measured["balancer"])
            print("rollout of 2 scorer hosts under load: %.0f s, %d requests, %d socket errors, %d answers >= 400, "
                  "p99 %.3f ms (%.2f x steady)" % (seconds, numbers["requests"], numbers["socket_errors"], numbers["status"],
                                                   numbers["p99_us"] / 1000.0, numbers["p99_us"] / steady))
            if numbers["socket_errors"] or numbers["status"]:
                misses.append("rollout")
        finally:
            lab.lab_sh("down")
    if misses:
        print("missed: %s" % ", ".join(misses))
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
