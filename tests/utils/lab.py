"""Inventories for a lab of tests/lab/lab.sh brought up with its own state directory, as
inventories/lab reaches the default one (which reads .lab/ through inventory_dir)."""

import pathlib

import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def ssh_vars(state):
    """Connection variables of every lab host: root over SSH on loopback, host keys checked."""
    return {
        "ansible_host": "127.0.0.1",
        "ansible_user": "root",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_private_key_file": str(state / "id_ed25519"),
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % (state / "known_hosts"),
    }


def all_vars():
    """inventories/lab/group_vars/all.yml: the one Sparkflows connection (the lab's emulator)."""
    return yaml.safe_load((REPO_ROOT / "inventories" / "lab" / "group_vars" / "all.yml").read_text())


def scorer_vars(state):
    """inventories/lab/group_vars/scorers.yml with this lab's registry password and CA."""
    values = yaml.safe_load((REPO_ROOT / "inventories" / "lab" / "group_vars" / "scorers.yml").read_text())
    values.update(scorer_registry_password=(state / "registry" / "password").read_text().strip(),
                  scorer_registry_ca_path=str(state / "registry" / "ca.crt"))
    return values


def sparkflows_vars():
    """inventories/lab/group_vars/sparkflows.yml, but the MLflow password (it reads .lab/)."""
    values = yaml.safe_load((REPO_ROOT / "inventories" / "lab" / "group_vars" / "sparkflows.yml").read_text())
    del values["sparkflows_mlflow_password"]
    return values
