"""The collection builds into a tarball that installs offline and Ansible resolves."""

import json
import os
import subprocess
import tarfile

import pytest
import yaml

NOT_SHIPPED = (".venv/", ".cache/", ".lab/", ".ci/", ".git/", "Makefile", "ansible.cfg", "constraints.txt")


@pytest.fixture(scope="module")
def built(repo_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    config = out / "ansible.cfg"
    config.write_text("")  # isolate from the checkout's ansible.cfg (which links the checkout)
    env = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_COLLECTIONS_PATH=str(out / "collections"))
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--output-path", str(out), str(repo_root)],
        check=True, capture_output=True, timeout=300, env=env,
    )
    galaxy = yaml.safe_load((repo_root / "galaxy.yml").read_text())
    tarball = out / ("%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"]))
    return {"tarball": tarball, "env": env, "galaxy": galaxy, "collections": out / "collections"}


def test_tarball_ships_the_collection_and_not_the_workspace(built):
    with tarfile.open(built["tarball"]) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "sparkflows"
    assert manifest["collection_info"]["name"] == "mlops"
    assert manifest["collection_info"]["dependencies"] == built["galaxy"]["dependencies"]
    for required in ("meta/runtime.yml", "meta/execution-environment.yml", "playbooks/site.yml", "COPYING"):
        assert required in names
    leaked = [name for name in names if name.startswith(NOT_SHIPPED) or name in NOT_SHIPPED]
    assert leaked == []


def test_tarball_installs_offline_and_ansible_resolves_it(built):
    env = built["env"]
    subprocess.run(
        ["ansible-galaxy", "collection", "install", "--offline", "-p", str(built["collections"]), str(built["tarball"])],
        check=True, capture_output=True, timeout=300, env=env,
    )
    listing = subprocess.run(
        ["ansible-galaxy", "collection", "list", "sparkflows.mlops", "-p", str(built["collections"]), "--format", "json"],
        check=True, capture_output=True, text=True, timeout=120, env=env,
    ).stdout
    installed = {name: info for path in json.loads(listing).values() for name, info in path.items()}
    assert installed["sparkflows.mlops"]["version"] == built["galaxy"]["version"]
    subprocess.run(["ansible-doc", "-l", "sparkflows.mlops"], check=True, capture_output=True, timeout=120, env=env)
    # Every playbook of the installed collection, by its FQCN (as docs/serving-modes.md shows).
    playbooks = sorted(p.stem for p in (built["collections"] / "ansible_collections" / "sparkflows" / "mlops"
                                        / "playbooks").glob("*.yml"))
    assert {"site", "scorers", "scorer_lb", "rollback", "verify", "report"} <= set(playbooks), playbooks
    for name in playbooks:
        checked = subprocess.run(["ansible-playbook", "--syntax-check", "-i", "localhost,", "sparkflows.mlops." + name],
                                 capture_output=True, text=True, timeout=120, env=env, check=False)
        assert checked.returncode == 0, (name, checked.stdout[-2000:], checked.stderr[-2000:])
