"""Shared pytest fixtures for the unit and integration tests."""

import os
import pathlib
import stat
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
# `make venv` links this checkout as .cache/collections/ansible_collections/sparkflows/mlops.
sys.path.insert(0, str(REPO_ROOT / ".cache" / "collections"))

pytest_plugins = ["emulator.fixtures", "utils.scorer"]


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture
def fake_bin(tmp_path):
    """A directory put first on PATH, where a test writes stand-in commands."""
    directory = tmp_path / "bin"
    directory.mkdir()

    def write(name, script):
        path = directory / name
        path.write_text("#!/usr/bin/env bash\n" + script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return path

    write.path = directory
    write.env = dict(os.environ, PATH="%s:%s" % (directory, os.environ["PATH"]))
    return write
