"""The rule of module_utils/_os_packages: when the apt package index must be refreshed before
installing. A fresh directory mtime never makes an empty or unrecorded index trusted."""

import os

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._os_packages import (
    PACKAGE_NAME, has_package_lists, refresh_reason)

NOW = 1_800_000_000.0


@pytest.fixture
def apt(tmp_path):
    """lists dir, update stamp and sources of a host, all under tmp_path."""
    lists = tmp_path / "lists"
    (lists / "partial").mkdir(parents=True)
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    (tmp_path / "sources.list").write_text("deb http://deb.debian.org/debian bookworm main\n")
    os.utime(tmp_path / "sources.list", (NOW - 86400, NOW - 86400))
    os.utime(sources, (NOW - 86400, NOW - 86400))

    def reason(cache_valid_time=3600):
        return refresh_reason(cache_valid_time, now=NOW, lists_dir=str(lists), stamp=str(tmp_path / "stamp"),
                              sources=(str(tmp_path / "sources.list"), str(sources)))

    def stamp(age):
        (tmp_path / "stamp").touch()
        os.utime(tmp_path / "stamp", (NOW - age, NOW - age))

    def index(name="deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", content=b"Package: x\n"):
        (lists / name).write_bytes(content)

    reason.stamp, reason.index, reason.lists, reason.sources = stamp, index, lists, sources
    return reason


def test_empty_lists_written_just_now_are_refreshed(apt):
    os.utime(apt.lists, (NOW, NOW))  # what defeats apt's cache_valid_time
    apt.stamp(10)
    assert apt().startswith("no package lists")


def test_empty_index_files_are_no_index(apt):
    apt.index(content=b"")
    apt.index("x_InRelease")
    apt.stamp(10)
    assert apt().startswith("no package lists")
    assert not has_package_lists(str(apt.lists))


def test_lists_without_an_update_record_are_refreshed(apt):
    apt.index()
    assert apt().startswith("no record of a successful update")


def test_a_recent_update_is_trusted(apt):
    apt.index()
    apt.stamp(60)
    assert apt() is None


def test_an_update_older_than_the_window_is_refreshed(apt):
    apt.index()
    apt.stamp(3600)
    assert apt() == "last update 3600s ago, cache_valid_time is 3600s"
    assert apt(cache_valid_time=7200) is None


def test_zero_window_always_refreshes(apt):
    apt.index()
    apt.stamp(0.5)
    assert apt(cache_valid_time=0).startswith("last update")


def test_sources_changed_after_the_update_are_refreshed(apt):
    apt.index()
    apt.stamp(60)
    (apt.sources / "vendor.list").write_text("deb http://vendor.example.net/debian bookworm main\n")
    os.utime(apt.sources / "vendor.list", (NOW - 30, NOW - 30))
    assert apt() == "the apt sources changed since the last update"


@pytest.mark.parametrize("name, valid", [
    ("python3-docker", True), ("openjdk-17-jre-headless", True), ("libstdc++6", True), ("g++", True),
    ("Python3", False), ("a", False), ("tree=1.8", False), ("tree/bookworm", False), ("-o", False), ("", False),
])
def test_package_names(name, valid):
    assert bool(PACKAGE_NAME.match(name)) is valid
