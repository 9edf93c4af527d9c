"""Fleet benchmark: playbooks/scorers.yml deploying N lab scorer hosts at once against deploying
1 (the baseline), in one run.

A lab of its own (tests/lab/lab.sh, S + N fresh scorer hosts with their own Docker Engine) is
brought up first, outside the timing. Then S hosts are deployed one after another, alone (the
baseline: the median of S samples), then the other N hosts together (serial N, forks N). All
start from fresh hosts: apt, the registry CA, the model download, the image pull and the
health-gated start are all in the timing. The machine's busy CPU time is measured around each
deploy: on C cores, N hosts' work cannot take less than N x (core-seconds of 1 host) / C, the CPU
floor. Nor can N hosts take less than 1. Target: N hosts within 2 x the larger of the two, so
that the same target holds on 2 cores and on 64.

Then, on M of those deployed hosts (default 8), a run with nothing to change: `serial: 1` against
`serial: all` (M), alternating rounds, medians. The plan runs on every host at once and no host
enters the serial rollout, so the serial setting should not matter: target serial 1 / serial all
<= 1.2. And the Sparkflows requests of one such run, from the emulator's request log: target
<= 2 + 2 x models, whatever the number of hosts.
Usage: python tests/bench/bench_fleet.py [--hosts 20] [--samples 3] [--noop-hosts 8] [--noop-rounds 3]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))

from utils.lab import all_vars, scorer_vars, ssh_vars  # noqa: E402


def busy_core_seconds():
    """CPU time the whole machine has spent busy (every process, the kernel, the lab hosts)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--samples", type=int, default=3, help="single-host deploys of the baseline (median)")
    parser.add_argument("--noop-hosts", type=int, default=8, help="deployed hosts of the no-op runs")
    parser.add_argument("--noop-rounds", type=int, default=3, help="rounds of no-op runs (serial 1, serial all)")
    args = parser.parse_args()
    if not 1 <= args.noop_hosts <= args.hosts:
        parser.error("--noop-hosts must be 1 to --hosts")
    total = args.samples + args.hosts
    with tempfile.TemporaryDirectory() as tmp:
        state = pathlib.Path(tmp) / "lab"
        # SSH ports 24220 + n (lb1: 24318, sparkflows1: 24319), scoring ports 24400 + n: apart for up to 97 hosts.
        env = dict(os.environ, SFMLOPS_LAB_NAME="sfmlops-fleet", SFMLOPS_LAB_STATE=str(state),
                   SFMLOPS_LAB_SSH_PORT="24220", SFMLOPS_LAB_MLFLOW_PORT="24000", SFMLOPS_LAB_SPARKFLOWS_PORT="24080",
                   SFMLOPS_LAB_SCORER_PORT="24400", SFMLOPS_LAB_REGISTRY_PORT="24050", SFMLOPS_LAB_LB_PORT="24443",
                   SFMLOPS_LAB_SCORERS=str(total), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
        lab_sh = str(REPO / "tests" / "lab" / "lab.sh")
        try:
            started = time.monotonic()
            subprocess.run([lab_sh, "up"], env=env, check=True, timeout=1800, stdout=subprocess.DEVNULL)
            print("lab of %d scorer hosts up in %.0f s (not timed below)" % (total, time.monotonic() - started))
            hosts = dict(("scorer%d" % n, {"ansible_port": 24220 + n}) for n in range(1, total + 1))
            inventory = pathlib.Path(tmp) / "hosts.json"
            inventory.write_text(json.dumps({"all": {
                "children": {"scorers": {"hosts": hosts, "vars": scorer_vars(state)}}, "vars": dict(ssh_vars(state), **all_vars())}}))

            def deploy(limit, parallel):
                begun, busy = time.monotonic(), busy_core_seconds()
                done = subprocess.run(
                    ["ansible-playbook", "-i", str(inventory), str(REPO / "playbooks" / "scorers.yml"), "-l", limit,
                     "-f", str(parallel), "-e", "scorer_serial=%d" % parallel],
                    env=env, capture_output=True, text=True, timeout=3600, check=False)
                if done.returncode != 0:
                    raise SystemExit("deploy of %s failed:\n%s" % (limit, done.stdout[-4000:]))
                return time.monotonic() - begun, busy_core_seconds() - busy

            samples = [deploy("scorer%d" % n, 1) for n in range(1, args.samples + 1)]
            fleet, fleet_cpu = deploy(":".join("scorer%d" % n for n in range(args.samples + 1, total + 1)), args.hosts)
            noop = noop_runs(inventory, env, ["scorer%d" % n for n in range(args.samples + 1, args.samples + 1 + args.noop_hosts)],
                             args.noop_rounds, "http://127.0.0.1:%s" % env["SFMLOPS_LAB_SPARKFLOWS_PORT"])
            models = len(scorer_vars(state)["scorer_models"])
        finally:
            subprocess.run([lab_sh, "down"], env=env, check=False, timeout=600, stdout=subprocess.DEVNULL)
    one = statistics.median(wall for wall, _cpu in samples)
    one_cpu = statistics.median(cpu for _wall, cpu in samples)
    cores = os.cpu_count()
    print("deploy 1 scorer host (median of %d): %.1f s, %.1f core-seconds busy (samples: %s)"
          % (len(samples), one, one_cpu, ", ".join("%.1f s" % wall for wall, _cpu in samples)))
    print("deploy %d hosts at once: %.1f s, %.1f core-seconds busy" % (args.hosts, fleet, fleet_cpu))
    # The machine's CPU caps the fleet: N hosts' work on `cores` cores takes at least this long.
    floor = args.hosts * one_cpu / cores
    best = max(one, floor)
    print("CPU floor for %d hosts on %d cores: %.1f s = %.2f x 1 host" % (args.hosts, cores, floor, floor / one))
    print("ratio %d hosts / max(1 host, CPU floor): %.2f (target <= 2.0); %d hosts / 1 host: %.2f"
          % (args.hosts, fleet / best, args.hosts, fleet / one))
    met = fleet / best <= 2.0
    one_by_one, all_at_once, asked = noop
    print("no-op run of %d hosts, serial 1: %.1f s; serial all: %.1f s (medians of %d)"
          % (args.noop_hosts, one_by_one, all_at_once, args.noop_rounds))
    print("ratio serial 1 / serial all: %.2f (target <= 1.2)" % (one_by_one / all_at_once))
    print("Sparkflows requests of a no-op run of %d hosts, %d model(s): %d (target <= %d)"
          % (args.noop_hosts, models, asked, 2 + 2 * models))
    met = met and one_by_one / all_at_once <= 1.2 and asked <= 2 + 2 * models
    return 0 if met else 1


def noop_runs(inventory, env, hosts, rounds, emulator_url):
    """(median seconds with serial 1, with serial all, Sparkflows requests of one run) of
    scorers.yml on deployed hosts, each run checked to change nothing."""
    def run(serial):
        begun = time.monotonic()
        done = subprocess.run(
            ["ansible-playbook", "-i", str(inventory), str(REPO / "playbooks" / "scorers.yml"), "-l", ":".join(hosts),
             "-f", str(len(hosts)), "-e", "scorer_serial=%d" % serial],
            env=env, capture_output=True, text=True, timeout=1800, check=False)
        recap = done.stdout.split("PLAY RECAP")[-1]
        if done.returncode != 0 or "changed=0" not in recap or any(
                "changed=0" not in line for line in recap.splitlines() if " : ok=" in line):
            raise SystemExit("no-op run (serial %d) failed or changed something:\n%s" % (serial, done.stdout[-4000:]))
        return time.monotonic() - begun

    def emulator(path, data=None):
        with urllib.request.urlopen(urllib.request.Request(emulator_url + "/_emulator/" + path, data=data),
                                    timeout=10) as answer:
            return json.loads(answer.read())

    emulator("reset", b"{}")
    run(len(hosts))
    asked = len([r for r in emulator("requests") if not r["path"].startswith("/_emulator")])
    timings = dict((serial, []) for serial in (1, len(hosts)))
    for _round in range(rounds):
        for serial in timings:
            timings[serial].append(run(serial))
    return statistics.median(timings[1]), statistics.median(timings[len(hosts)]), asked


if __name__ == "__main__":
    sys.exit(main())
