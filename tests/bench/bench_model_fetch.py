"""Benchmark of sparkflows_model_fetch against `curl -o` + `sync FILE` (the baseline), in one run.

A 1 GiB model served by the emulator on loopback:
  - throughput of the module process vs `curl -o` of the same URL followed by `sync FILE`
    (target >= 0.9): the same durability, since the module fsyncs the file before renaming it
    into place; bare `curl -o`, which leaves the file to writeback, is shown too
  - peak RSS of the module process (target < 100 MiB)
  - an unchanged re-run: body bytes transferred (target 0) and wall time (target < 1 s)
Each download is run ROUNDS times, alternating, after `sync` (no writeback of an earlier round
competes), each into a path where no file is, and the medians are compared. Whole processes are timed: the module's start-up counts.
Usage: python tests/bench/bench_model_fetch.py [--size-mib 1024] [--rounds 3]
"""

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO / "tests"))

from emulator.fixtures import ADMIN_TOKEN, start_emulator  # noqa: E402

MODULE = REPO / "plugins" / "modules" / "sparkflows_model_fetch.py"


def run_child(command, env=None):
    """Run a command; returns (wall seconds, its peak RSS in KiB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True, timeout=600)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is a running maximum: the benchmark runs the module first, so
    # its value is the module's own peak (curl's, smaller, never raises it).
    return wall, max(after, before), done.stdout


def module_command(args_file):
    return [sys.executable, str(MODULE), str(args_file)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="sfmlops-bench-"))
    port, emulator = start_emulator(work / "state.json")
    try:
        size = options.size_mib << 20
        block = os.urandom(1 << 20)
        with open(work / "models" / "101.zip", "wb") as f:
            for _block in range(options.size_mib):
                f.write(block)
        url = "http://127.0.0.1:%d/api/v1/mlmodel/outputModel/101/download/zip" % port
        env = dict(os.environ, PYTHONPATH=str(REPO / ".cache" / "collections"))
        dest = work / "module.bin"
        args = {"ANSIBLE_MODULE_ARGS": {"api_url": "http://127.0.0.1:%d" % port, "api_token": ADMIN_TOKEN,
                                        "model_id": "101", "file_type": "zip", "dest": str(dest), "force": True,
                                        "_ansible_tmpdir": str(work)}}
        # The body is not a real zip: benchmark the transfer with file_type 'bin' on disk.
        args["ANSIBLE_MODULE_ARGS"]["file_type"] = "bin"
        os.link(work / "models" / "101.zip", work / "models" / "101.bin")
        url = url.replace("/zip", "/bin")
        args_file = work / "args.json"
        args_file.write_text(json.dumps(args))

        module_times, curl_times, curl_sync_times, peak_kib = [], [], [], 0
        for _round in range(options.rounds):
            # Both write a file that is not there yet: freeing the previous round's 1 GiB is
            # outside both timings (curl's file is removed after its round, below).
            if dest.exists():
                dest.unlink()
            os.sync()
            wall, rss, stdout = run_child(module_command(args_file), env)
            result = json.loads(stdout)
            assert result["size"] == size and result["bytes_transferred"] == size, result
            module_times.append(wall)
            peak_kib = max(peak_kib, rss)
            os.sync()
            wall, _rss, _out = run_child(["curl", "-sS", "-f", "-H", "token: " + ADMIN_TOKEN, "-o",
                                          str(work / "curl.bin"), url])
            assert (work / "curl.bin").stat().st_size == size
            curl_times.append(wall)
            sync_wall, _rss, _out = run_child(["sync", str(work / "curl.bin")])
            curl_sync_times.append(wall + sync_wall)
            (work / "curl.bin").unlink()

        args["ANSIBLE_MODULE_ARGS"]["force"] = False
        args_file.write_text(json.dumps(args))
        rerun_wall, _rss, stdout = run_child(module_command(args_file), env)
        rerun = json.loads(stdout)
    finally:
        emulator.kill()
        subprocess.run(["rm", "-rf", str(work)], check=False)

    module_rate = size / statistics.median(module_times) / (1 << 20)
    curl_rate = size / statistics.median(curl_times) / (1 << 20)
    curl_sync_rate = size / statistics.median(curl_sync_times) / (1 << 20)
    checks = [
        ("throughput vs curl -o + sync", module_rate / curl_sync_rate, ">= 0.90", module_rate / curl_sync_rate >= 0.9,
         "module %.0f MiB/s, curl + sync %.0f MiB/s" % (module_rate, curl_sync_rate)),
        ("throughput vs curl -o", module_rate / curl_rate, "(info)", True,
         "curl %.0f MiB/s (no fsync)" % curl_rate),
        ("module peak RSS (MiB)", peak_kib / 1024.0, "< 100", peak_kib / 1024.0 < 100, ""),
        ("unchanged re-run body bytes", rerun["bytes_transferred"], "== 0",
         rerun["bytes_transferred"] == 0 and rerun["changed"] is False, ""),
        ("unchanged re-run wall time (s)", rerun_wall, "< 1.0", rerun_wall < 1.0, ""),
    ]
    print("sparkflows_model_fetch benchmark, %d MiB, %d rounds, baseline: curl -o + sync" % (options.size_mib, options.rounds))
    for name, value, target, ok, detail in checks:
        print("  %-32s %10.3f  target %-8s %s  %s" % (name, value, target, "PASS" if ok else "FAIL", detail))
    failed = sum(1 for check in checks if not check[3])
    print("bench: %d passed, %d failed" % (len(checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
