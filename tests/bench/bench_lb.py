"""Balancer benchmark: churn-model's latency through the balancer against a bare HAProxy hop
(the baseline), p50 and p99, in one run; then a rollout of every lab scorer host under load
through the balancer.

A lab of its own (tests/lab/lab.sh: lb1 in front of scorer1 and scorer2) is brought up and
deployed first, outside the timing. The same wrk (Debian's), inside lb1, measures every variant -
the same client, the same share of the machine:
  direct    http://scorer1:8081/predict (lb1 is the one host the scorers let in): the baseline
  bare hop  a second HAProxy in lb1 with nothing but the hop - plain HTTP, no TLS, no
            authentication, no logs, the same two scorers: the floor any balancer has here
  endpoint  https://localhost:8443/predict, the role's balancer (TLS, API key, logs)
Latency is measured at a steady rate the fleet serves easily (each of the connections pauses
--pause-ms between requests; wrk times a request from its send), not at saturation, where it
would be the queue of whatever is busiest on the shared cores rather than the cost of a request.
Rounds alternate the variants; each percentile is the median of its rounds. Printed: endpoint /
bare hop (what the role's TLS, authentication and logs add to the floor; the targets: p50 <= 1.1,
p99 <= 1.15), endpoint / direct and bare hop / direct (what any hop costs on this machine, on
shared cores). The rollout under load: 0 socket errors, 0 answers >= 400.
Usage: python tests/bench/bench_lb.py [--seconds 8] [--rounds 5] [--connections 4] [--pause-ms 5]
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
TARGETS = {"p50": 1.1, "p99": 1.15}  # endpoint / bare hop
BARE_PORT = 9080
# The bare hop: HAProxy with nothing but the proxying (no TLS, authentication, checks or logs).
BARE_HOP = """global
    maxconn 1024
defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend bare
    bind 127.0.0.1:%d
    default_backend scorers
backend scorers
    balance roundrobin
    server scorer1 scorer1:8081
    server scorer2 scorer2:8081
""" % BARE_PORT


def start_bare_hop(container):
    started = docker("exec", container, "sh", "-c",
                     'printf "%s" "$1" > /tmp/bare-hop.cfg && haproxy -D -f /tmp/bare-hop.cfg -p /tmp/bare-hop.pid',
                     "sh", BARE_HOP, timeout=60)
    assert started.returncode == 0, started.stderr


def ratio_line(percentile, name, mine, base, target=None):
    return "%s: %-24s %.3f ms / %.3f ms = %.2f%s" % (
        percentile, name, mine / 1000.0, base / 1000.0, mine / base,
        "  (target <= %.2f)" % target if target else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="length of each measuring round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each variant, alternating")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pause-ms", type=int, default=5, help="each connection's pause between requests")
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
            start_bare_hop(lb1)
            paced = dict(connections=args.connections, container=lb1, pace_ms=args.pause_ms)
            variants = {
                "direct": Wrk("http://scorer1:8081/predict", SAMPLE, **paced),
                "bare hop": Wrk("http://127.0.0.1:%d/predict" % BARE_PORT, SAMPLE, **paced),
                "endpoint": Wrk("https://localhost:8443/predict", SAMPLE, headers={"X-API-Key": key}, **paced),
            }
            measured = dict((name, []) for name in variants)
            for _round in range(args.rounds):
                for name, load in variants.items():
                    numbers = load.run(args.seconds)
                    assert (numbers["socket_errors"], numbers["status"]) == (0, 0), numbers["output"]
                    measured[name].append(numbers)
                    print("  %-8s %7d requests  p50 %6.3f ms  p99 %6.3f ms" % (
                        name, numbers["requests"], numbers["p50_us"] / 1000.0, numbers["p99_us"] / 1000.0))
            misses = []
            for percentile in ("p50", "p99"):
                median = dict((name, statistics.median(n["%s_us" % percentile] for n in runs))
                              for name, runs in measured.items())
                print(ratio_line(percentile, "endpoint / bare hop", median["endpoint"], median["bare hop"],
                                 TARGETS[percentile]))
                print(ratio_line(percentile, "endpoint / direct", median["endpoint"], median["direct"]))
                print(ratio_line(percentile, "bare hop / direct", median["bare hop"], median["direct"]))
                if median["endpoint"] / median["bare hop"] > TARGETS[percentile]:
                    misses.append(percentile)

            # Every scorer host rolled to a new model under load through the balancer.
            make_model_zip(state / "sparkflows" / "models" / "101.zip",
                           score_py="def score(rows):\n    return [1 for _ in rows]\n")
            load = variants["endpoint"].start()
            started = time.monotonic()
            rolled = lab.playbook(inventory, "scorers.yml")
            seconds = time.monotonic() - started
            numbers = load.stop()
            assert rolled.returncode == 0, rolled.stdout[-3000:]
            steady = statistics.median(n["p99_us"] for n in measured["endpoint"])
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
