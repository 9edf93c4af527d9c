"""ansible-builder makes the build context of the AWX/AAP execution environment offline, from
ee/execution-environment.yml and the collection tarball, with the pinned Ansible inside."""

import shutil
import subprocess

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
