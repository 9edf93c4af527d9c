"""_mlflow.release: an environment's name is the profile and a digest of the packages - the same
packages in the same order give the same name in any process (on every host), any other list
another name; and what a run does to the tracking server: install, keep or upgrade."""

import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.release import plan, venv_name

SETTINGS = settings(max_examples=200, deadline=None, database=None)
PACKAGES = st.lists(st.text(min_size=1, max_size=30), max_size=6)
PROFILES = st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z")


@SETTINGS
@given(profile=PROFILES, packages=PACKAGES)
def test_the_name_is_the_profile_and_a_short_digest(profile, packages):
    name = venv_name(profile, packages)
    assert re.fullmatch(re.escape(profile) + r"-[0-9a-f]{10}", name)
    assert venv_name(profile, list(packages)) == venv_name(profile, tuple(packages)) == name


@SETTINGS
@given(profile=PROFILES, first=PACKAGES, second=PACKAGES)
def test_other_packages_give_another_name(profile, first, second):
    assert (venv_name(profile, first) == venv_name(profile, second)) is (first == second)


def test_the_order_of_the_packages_is_part_of_the_name():
    packages = ["mlflow[auth]==3.17.0", "psycopg2-binary==2.9.10"]
    assert venv_name("current", packages) != venv_name("current", packages[::-1])
    assert venv_name("current", packages).split("-")[1] == venv_name("next", packages).split("-")[1]


def test_every_process_gives_the_same_name():
    packages = ["mlflow[auth]==3.17.0", "psycopg2-binary==2.9.10", "boto3==1.40.0"]
    code = ("import json, sys; from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.release "
            "import venv_name; print(venv_name('current', json.loads(sys.argv[1])))")
    names = set()
    for seed in ("0", "1", "random"):
        process = subprocess.run([sys.executable, "-c", code, json.dumps(packages)], capture_output=True, text=True,
                                 check=True, timeout=60,
                                 env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=os.pathsep.join(sys.path)))
        names.add(process.stdout.strip())
    assert names == {venv_name("current", packages)}


@pytest.mark.parametrize("previous, target, installed, expected", [
    ("", "/opt/mlflow/venvs/current-0123456789", False, "install"),
    ("", "/opt/mlflow/venvs/current-0123456789", True, "install"),
    ("/opt/mlflow/venvs/current-0123456789", "/opt/mlflow/venvs/current-0123456789", False, "install"),
    ("/opt/mlflow/venvs/current-0123456789", "/opt/mlflow/venvs/current-0123456789", True, "keep"),
    ("/opt/mlflow/venvs/current-0123456789/", "/opt/mlflow/venvs/current-0123456789", True, "keep"),
    ("/opt/mlflow/venvs/current-0123456789", "/opt/mlflow/venvs/current-0123456789/", True, "keep"),
    ("/opt/mlflow/venvs/current-0123456789", "/opt/mlflow/venvs/next-9876543210", True, "upgrade"),
    ("/opt/mlflow/venvs/current-0123456789", "/opt/mlflow/venvs/current-01234567890", True, "upgrade"),
])
def test_the_plan(previous, target, installed, expected):
    assert plan(previous, target, installed) == expected
