"""Run a module of this collection as Ansible does: a Python process reading its JSON arguments."""

import json
import os
import subprocess
import sys

from utils.lab import REPO_ROOT


def run_module(name, workdir, **args):
    """The JSON result of module `name` (e.g. "ssh_check") run with args (bounded: 60 s)."""
    arguments = workdir / ("%s-args.json" % name)
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    process = subprocess.run(
        [sys.executable, "-m", "ansible_collections.sparkflows.mlops.plugins.modules." + name, str(arguments)],
        capture_output=True, text=True, timeout=60, check=False, cwd=str(workdir),
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT / ".cache" / "collections")),
    )
    assert process.stdout.strip(), "no result from %s: %s" % (name, process.stderr[-2000:])
    return json.loads(process.stdout)


def ssh_keygen(path, key_type="ed25519", passphrase="", extra=()):
    """A new key pair at path and path.pub (OpenSSH's own tool); returns path as str."""
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, *extra, "-N", passphrase, "-C", "", "-f", str(path)],
                   check=True, timeout=30)
    return str(path)
