"""Controller CPU benchmark: the controller's CPU per host-task of a converged playbooks/site.yml
against the same count of ansible.builtin.ping host-tasks on the same hosts (the baseline: what
Ansible itself costs a host-task here), in one run.

A lab of its own (tests/lab/lab.sh, inventories/lab with its ports) is brought up and converged
first, outside the measurement. Then rounds alternate: site.yml with nothing to change (checked:
changed=0 on every host), and a playbook of ping tasks over the same hosts, as many per host as
site.yml ran host-tasks on average. The controller's CPU is every process ansible-playbook waits
for (its workers, the ssh clients), user + system time. A host-task is one task on one host (a
loop counts once), from the recap: ok + skipped + failed. Target: site.yml per host-task <= 1.5 x
ping per host-task (medians of the rounds).
A last site.yml run, not measured, is split by kind of task (tests/bench/callback/cpu_split.py):
tasks that run no module, modules run on the controller, and modules run on a host the first time
the run uses them (ansible-core builds a module's payload once per run) or again - what the
ratio is made of.
Usage: python tests/bench/bench_controller_cpu.py [--rounds 3]
"""

import argparse
import json
import pathlib
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO / "tests"))

from utils.lab import Lab, lab_inventory  # noqa: E402

TARGET = 1.5
SITE = REPO / "playbooks" / "site.yml"
SPLIT_CALLBACK = REPO / "tests" / "bench" / "callback"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(lab, inventory, playbook, env=None):
    """(controller CPU seconds, {host: (ok, changed, failed, skipped)}) of one ansible-playbook run
    of the playbook at path playbook (env: more environment variables)."""
    before = children_cpu()
    done = subprocess.run(["ansible-playbook", "-i", str(inventory), str(playbook)], capture_output=True, text=True,
                          timeout=1800, check=False, env=dict(lab.env, **(env or {})))
    cpu = children_cpu() - before
    if done.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (playbook, done.stdout[-4000:]))
    recap = dict((host, (int(ok), int(changed), int(failed), int(skipped)))
                 for host, ok, changed, _unreachable, failed, skipped in RECAP.findall(done.stdout))
    return cpu, recap


def host_tasks(recap):
    return sum(ok + failed + skipped for ok, _changed, failed, skipped in recap.values())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each playbook, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        lab = Lab("sfmlops-bench-cpu", root / ".lab")
        try:
            started = time.monotonic()
            up = lab.lab_sh("up")
            assert up.returncode == 0, up.stderr
            inventory = lab_inventory(root, lab.ports)
            run(lab, inventory, SITE)
            print("lab up and converged: %.0f s (not measured below)" % (time.monotonic() - started))

            site = []
            ping = []
            for _round in range(args.rounds):
                cpu, recap = run(lab, inventory, SITE)
                if any(changed for _ok, changed, _failed, _skipped in recap.values()):
                    raise SystemExit("site.yml changed something on a converged lab: %s" % recap)
                tasks = host_tasks(recap)
                site.append(cpu / tasks)
                per_host = max(1, round(tasks / len(recap)))
                pings = root / "ping.yml"
                pings.write_text(yaml.safe_dump([{
                    "name": "Ping", "hosts": ":".join(sorted(recap)), "gather_facts": False,
                    "tasks": [{"name": "Ping %d" % n, "ansible.builtin.ping": None} for n in range(per_host)]}]))
                cpu, recap = run(lab, inventory, pings)
                ping.append(cpu / host_tasks(recap))
                print("  site.yml: %d host-tasks on %d hosts, %.3f s each; ping: %.3f s each"
                      % (tasks, len(recap), site[-1], ping[-1]))
            split_out = root / "split.json"
            run(lab, inventory, SITE, env={"ANSIBLE_CALLBACK_PLUGINS": str(SPLIT_CALLBACK),
                                           "ANSIBLE_CALLBACKS_ENABLED": "cpu_split", "CPU_SPLIT_OUT": str(split_out)})
            split = json.loads(split_out.read_text())
        finally:
            lab.lab_sh("down")
    floor = statistics.median(ping)
    print("site.yml by kind of task (one more run; %d modules used):" % split["modules"])
    for kind, numbers in split["kinds"].items():
        each = numbers["seconds"] / max(1, numbers["host_tasks"])
        print("  %-26s %4d host-tasks %6.2f s CPU, %.3f s each = %.2f x ping" % (
            kind, numbers["host_tasks"], numbers["seconds"], each, each / floor))
    ratio = statistics.median(site) / statistics.median(ping)
    print("controller CPU per host-task, site.yml / ping: %.3f s / %.3f s = %.2f (target <= %.1f)"
          % (statistics.median(site), statistics.median(ping), ratio, TARGET))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
