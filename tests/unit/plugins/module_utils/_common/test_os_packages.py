"""The rule of module_utils/_common/os_packages: when the apt package index must be refreshed before
installing. A fresh directory mtime never makes an empty or unrecorded index trusted. Apt's
commands, and the run through a fake host (nothing installed here)."""

import os

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common import os_packages
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._common.os_packages import (
    APT_ENV, PACKAGE_NAME, Apt, PackageError, _diff, has_package_lists, refresh_reason, run)

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


class Host(object):
    """The module's view of a host for Apt: its commands, and dpkg-query's answer."""

    def __init__(self, dpkg_output, tools=("apt-get", "dpkg-query")):
        self.dpkg_output = dpkg_output
        self.tools = tools
        self.commands = []

    def get_bin_path(self, name):
        return "/usr/bin/" + name if name in self.tools else None

    def run_command(self, args, environ_update=None):
        assert environ_update == APT_ENV
        self.commands.append(args)
        return self.rc, self.dpkg_output, self.err

    rc = 0
    err = ""


# Every db:Status-Status dpkg knows; only "installed" means the package is there and configured.
DPKG = ("curl\tinstalled\n"
        "haproxy\tconfig-files\n"
        "nginx\tnot-installed\n"
        "jq\thalf-installed\n"
        "wrk\tunpacked\n"
        "gnupg\thalf-configured\n"
        "libc6:amd64\tinstalled\n"
        "ca-certificates\t installed \n")


def test_only_packages_dpkg_lists_as_installed_are_installed():
    host = Host(DPKG)
    names = ["curl", "haproxy", "nginx", "jq", "wrk", "gnupg", "libc6", "ca-certificates", "tar"]
    assert Apt(host, 60, False).missing(names) == ["haproxy", "nginx", "jq", "wrk", "gnupg", "tar"]
    assert host.commands == [["/usr/bin/dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\n"] + names]


def test_nothing_listed_means_everything_is_missing():
    assert Apt(Host(""), 60, False).missing(["curl", "jq"]) == ["curl", "jq"]


def test_a_host_without_apt_is_refused():
    with pytest.raises(PackageError, match="no apt-get/dpkg-query on this host"):
        Apt(Host("", tools=("dpkg-query",)), 60, False)


LOCK = ["-o", "DPkg::Lock::Timeout=60"]
CONF = ["-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"]


@pytest.mark.parametrize("recommends, simulate, extra", [
    (False, False, ["--no-install-recommends"] + CONF),
    (True, False, CONF),
    (False, True, ["--no-install-recommends"] + CONF + ["-s"]),
])
def test_one_install_transaction(recommends, simulate, extra):
    host = Host("Setting up curl\n")
    host.err = "W: a warning\n"
    assert Apt(host, 60, recommends).install(["curl", "jq"], simulate=simulate) == (0, "Setting up curl\nW: a warning\n")
    assert host.commands == [["/usr/bin/apt-get", "install", "-y", "-q"] + LOCK + extra + ["--", "curl", "jq"]]


@pytest.fixture
def host_apt_dirs(tmp_path, monkeypatch):
    lists = tmp_path / "lists"
    lists.mkdir()
    stamp = tmp_path / "periodic" / "update-success-stamp"
    monkeypatch.setattr(os_packages, "LISTS_DIR", str(lists))
    monkeypatch.setattr(os_packages, "UPDATE_STAMP", str(stamp))
    return lists, stamp


def test_an_update_that_leaves_package_lists_is_recorded(host_apt_dirs):
    lists, stamp = host_apt_dirs
    (lists / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages").write_text("Package: curl\n")
    host = Host("Hit:1 http://deb.debian.org/debian bookworm InRelease\n")
    host.err = "W: stale\n"
    assert Apt(host, 60, False).update() == "W: stale\n"
    assert host.commands == [["/usr/bin/apt-get", "update", "-q"] + LOCK]
    assert stamp.exists()


@pytest.mark.parametrize("rc, lists_written", [(100, True), (0, False)])
def test_a_failed_update_or_one_without_package_lists_is_an_error(host_apt_dirs, rc, lists_written):
    lists, stamp = host_apt_dirs
    if lists_written:
        (lists / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages").write_text("Package: curl\n")
    host = Host("Err:1 http://deb.debian.org/debian bookworm InRelease\n")
    host.rc = rc
    host.err = "E: Failed to fetch\n"
    with pytest.raises(PackageError, match=r"^apt-get update failed \(rc %d\): E: Failed to fetch$" % rc):
        Apt(host, 60, False).update()
    assert not stamp.exists()


def test_the_diff_shows_each_package_before_and_after():
    assert _diff(["curl", "jq"], ["jq"]) == dict(
        before="curl: installed\njq: absent\n", after="curl: installed\njq: installed\n",
        before_header="packages", after_header="packages")


def packages(*names, **given):
    values = dict(name=list(names), cache_valid_time=3600, lock_timeout=300, install_recommends=False)
    values.update(given)
    return values


def test_the_run_installs_nothing_when_every_package_is_there_and_shows_a_diff_only_when_asked(fake_host):
    fake_host.answers["dpkg-query"] = (0, "curl\tinstalled\njq\tinstalled\n", "")
    result = run(packages("curl", "jq", "curl"), False, fake_host)
    assert result == dict(changed=False, installed=[], simulated=[], cache_updated=False, cache_update_reason=None)
    assert [args[0] for args, _env in fake_host.commands] == ["/usr/bin/dpkg-query"]
    assert all(env == APT_ENV for _args, env in fake_host.commands)
    fake_host.diff = True
    assert run(packages("curl"), False, fake_host)["diff"] == _diff(["curl"], [])


def test_check_mode_simulates_what_is_missing_and_installs_nothing(fake_host):
    fake_host.answers["dpkg-query"] = (0, "curl\tinstalled\n", "")
    result = run(packages("curl", "jq"), True, fake_host)
    assert result["changed"] is True and result["installed"] == ["jq"] and result["simulated"] == ["jq"]
    assert result["cache_updated"] is False
    installs = [args for args, _env in fake_host.commands if args[:2] == ["/usr/bin/apt-get", "install"]]
    assert all("-s" in args for args in installs)
    assert not [args for args, _env in fake_host.commands if args[:2] == ["/usr/bin/apt-get", "update"]]


@pytest.mark.parametrize("params, message", [
    (packages("curl", "Tree"), "name must list Debian package names (lower case letters, digits, + - .); "
                               "not package names: 'Tree'"),
    (packages(), "name must list Debian package names (lower case letters, digits, + - .); "
                 "not package names: an empty list"),
    (packages("curl", lock_timeout=-1), "lock_timeout must be 0 or more seconds, not -1"),
])
def test_options_the_spec_cannot_check_are_refused_before_any_command(fake_host, params, message):
    with pytest.raises(ModuleFailure) as failed:
        run(params, False, fake_host)
    assert failed.value.msg == message and fake_host.commands == []


def test_a_host_without_apt_fails_the_run(fake_host):
    fake_host.tools = ("dpkg-query",)
    with pytest.raises(ModuleFailure, match="no apt-get/dpkg-query on this host"):
        run(packages("curl"), False, fake_host)
