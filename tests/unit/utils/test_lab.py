"""tests/utils/lab.py: a missing lab image fails the test that needs it unless tests/lab/images.sh
recorded that the archive does not serve its suite; inventories/lab is copied with only its
hosts' SSH ports changed."""

import pytest
import yaml

from utils.lab import LAB_HOSTS, lab_inventory, require_image

DOCKER = 'echo "$*" >> "$CALLS"\n[ "$3" = sfmlops/lab-host:bookworm ]\n'


@pytest.fixture
def docker_with_bookworm_only(fake_bin, monkeypatch, tmp_path):
    fake_bin("docker", DOCKER)
    monkeypatch.setenv("PATH", fake_bin.env["PATH"])
    monkeypatch.setenv("CALLS", str(tmp_path / "calls"))
    monkeypatch.setenv("SFMLOPS_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    return tmp_path / "cache"


def test_a_built_image_is_used(docker_with_bookworm_only):
    assert require_image("sfmlops/lab-host:bookworm", "bookworm") is None


def test_a_missing_image_fails(docker_with_bookworm_only):
    missing = "sfmlops/lab-host:trixie is not built, and tests/lab/images.sh did not record that the archive does not serve trixie"
    with pytest.raises(pytest.fail.Exception, match=missing):
        require_image("sfmlops/lab-host:trixie", "trixie")


def test_a_missing_image_of_a_suite_not_served_skips_with_the_recorded_reason(docker_with_bookworm_only):
    (docker_with_bookworm_only / "not-served-trixie").write_text("trixie not served by the archive X: bookworm only\n")
    with pytest.raises(pytest.skip.Exception, match="trixie not served by the archive X: bookworm only"):
        require_image("sfmlops/lab-host:trixie", "trixie")
    # The record is of trixie only: a missing bookworm image still fails.
    with pytest.raises(pytest.fail.Exception):
        require_image("sfmlops/lab-scorer:bookworm", "bookworm")


def test_the_lab_inventory_is_inventories_lab_with_this_labs_ports(repo_root, tmp_path):
    ports = dict((host, 40000 + n) for n, host in enumerate(LAB_HOSTS))
    copy = lab_inventory(tmp_path, ports)
    assert copy == tmp_path / "inventories" / "lab"
    source = repo_root / "inventories" / "lab"
    for path in (source / "group_vars").iterdir():  # every group's variables, secrets included, as they are
        assert (copy / "group_vars" / path.name).read_text() == path.read_text()
    original, copied = (yaml.safe_load((d / "hosts.yml").read_text()) for d in (source, copy))

    def ports_taken_out(group, found):
        """group with every host's ansible_port moved to found."""
        for host, values in (group.get("hosts") or {}).items():
            found[host] = values.pop("ansible_port")
        for child in (group.get("children") or {}).values():
            ports_taken_out(child or {}, found)
        return group

    copied_ports, original_ports = {}, {}
    # Nothing but the ports differs: the same groups, hosts and other variables.
    assert ports_taken_out(copied["all"], copied_ports) == ports_taken_out(original["all"], original_ports)
    assert copied_ports == ports and sorted(original_ports) == sorted(ports)


def test_a_lab_without_a_host_of_the_inventory_is_refused(tmp_path):
    ports = dict((host, 40000 + n) for n, host in enumerate(LAB_HOSTS) if host != "mlflow1")
    with pytest.raises(AssertionError, match="inventories/lab host mlflow1 is not in this lab"):
        lab_inventory(tmp_path, ports)
