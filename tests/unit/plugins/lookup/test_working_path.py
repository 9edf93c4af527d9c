"""working_path: a path given by the user, absolute against the directory ansible-playbook
runs in."""

import os

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.sparkflows.mlops.plugins.lookup.working_path import LookupModule


def lookup(*terms):
    return LookupModule().run(list(terms))


def test_a_relative_path_is_the_working_directorys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = [os.path.join(os.getcwd(), "sparkflows-report"), os.path.join(os.getcwd(), "reports")]
    assert lookup("sparkflows-report", "./out/../reports") == expected


def test_an_absolute_path_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lookup("/srv/reports", "/srv/./reports/") == ["/srv/reports", "/srv/reports"]


def test_the_home_directory_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir("/")
    assert lookup("~/reports") == [str(tmp_path / "home" / "reports")]


@pytest.mark.parametrize("term", ["", "   ", None, 5])
def test_an_empty_or_non_text_path_is_refused(term):
    with pytest.raises(AnsibleLookupError, match="working_path needs a non-empty path, got %r" % (term,)):
        lookup("fine", term)
