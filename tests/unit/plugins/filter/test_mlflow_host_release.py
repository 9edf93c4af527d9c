"""mlflow_host_release: with profile, the environment's name of a package list; with target, the
plan of the run; anything else a filter error; its documented example works."""

import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter import mlflow_host_release as plugin
from ansible_collections.sparkflows.mlops.plugins.filter.mlflow_host_release import FilterModule, mlflow_host_release
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.release import venv_name


def test_the_documented_example():
    assert "['mlflow[auth]==3.17.0'] | sparkflows.mlops.mlflow_host_release(profile='current')" in plugin.EXAMPLES
    assert re.fullmatch(r"current-[0-9a-f]{10}", mlflow_host_release(["mlflow[auth]==3.17.0"], profile="current"))


def test_profile_names_the_environment_of_the_packages():
    packages = ("mlflow[auth]==3.17.0", "psycopg2-binary==2.9.10")
    assert mlflow_host_release(list(packages), profile="next") == venv_name("next", packages)


@pytest.mark.parametrize("running, installed, expected", [
    (None, True, "install"), ("", True, "install"), ("/opt/v/a", False, "install"), ("/opt/v/a", True, "upgrade"),
    ("/opt/v/b", True, "keep"), ("/opt/v/b", "yes", "keep"),
])
def test_target_gives_the_plan(running, installed, expected):
    assert mlflow_host_release(running, target="/opt/v/b", installed=installed) == expected


def test_installed_defaults_to_false():
    assert mlflow_host_release("/opt/v/b", target="/opt/v/b") == "install"


@pytest.mark.parametrize("value, options, message", [
    ("mlflow==3.17.0", {"profile": "current"}, "takes a list of packages with profile"),
    ({"mlflow": "3.17.0"}, {"profile": "current"}, "takes a list of packages with profile"),
    ("/opt/v/a", {}, "needs profile"),
])
def test_anything_else_is_refused(value, options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        mlflow_host_release(value, **options)


def test_the_documentation_parses_and_the_filter_is_registered():
    for text in (plugin.DOCUMENTATION, plugin.EXAMPLES, plugin.RETURN):
        assert yaml.safe_load(text)
    assert FilterModule().filters() == {"mlflow_host_release": mlflow_host_release}
