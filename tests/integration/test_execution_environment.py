"""The AWX/AAP execution environment: ansible-builder makes its build context offline, from
ee/execution-environment.yml and the collection tarball, with the pinned Ansible inside; `make ee`
builds it (on the base image made here) with every module of the collection in it."""

import pathlib
import shutil
import subprocess

import yaml

from utils.playbook import REPO_ROOT


def test_builder_creates_the_context_offline(tmp_path):
    ee = tmp_path / "ee"
    shutil.copytree(REPO_ROOT + "/ee", ee, ignore=shutil.ignore_patterns("collections", "context"))
    built = subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(ee / "collections"), REPO_ROOT],
                           capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr
    context = tmp_path / "context"
    created = subprocess.run(["ansible-builder", "create", "-f", str(ee / "execution-environment.yml"),
                              "--context", str(context), "--output-filename", "Containerfile"],
                             capture_output=True, text=True, timeout=300, check=False)
    assert created.returncode == 0, created.stdout + created.stderr
    containerfile = (context / "Containerfile").read_text()
    assert 'ARG EE_BASE_IMAGE="quay.io/ansible/awx-ee:24.6.1"' in containerfile
    assert "ansible-core==2.19.14" in containerfile
    assert (context / "_build" / "collections" / "sparkflows-mlops-0.1.0.tar.gz").is_file()
    assert "ansible==12.3.0" in (context / "_build" / "requirements.txt").read_text()
    assert "collections/sparkflows-mlops-0.1.0.tar.gz" in (context / "_build" / "requirements.yml").read_text()


def test_make_ee_builds_an_image_with_every_module_and_skips_an_unchanged_build(ee_image):
    listed = subprocess.run(["docker", "run", "--rm", ee_image, "ansible-doc", "-l", "sparkflows.mlops"],
                            capture_output=True, text=True, timeout=300, check=False)
    assert listed.returncode == 0, listed.stderr
    shown = set(line.split()[0] for line in listed.stdout.splitlines() if line.strip())
    modules = set("sparkflows.mlops.%s" % path.stem
                  for path in pathlib.Path(REPO_ROOT, "plugins", "modules").glob("*.py") if path.stem != "__init__")
    assert modules and modules <= shown, sorted(modules - shown)
    # The collections it depends on come with the `ansible` package, Galaxy never asked.
    collections = subprocess.run(["docker", "run", "--rm", ee_image, "ansible-galaxy", "collection", "list"],
                                 capture_output=True, text=True, timeout=300, check=False)
    assert collections.returncode == 0, collections.stderr
    for name in yaml.safe_load((pathlib.Path(REPO_ROOT) / "galaxy.yml").read_text())["dependencies"]:
        assert name in collections.stdout, name
    again = subprocess.run([str(pathlib.Path(REPO_ROOT) / "ee" / "build.sh")], capture_output=True, text=True,
                           timeout=600, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == ee_image
    assert "up to date" in again.stderr
