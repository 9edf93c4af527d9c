"""tests/utils/apt-install.sh: installs only what is missing, fails clearly when apt fails."""

import subprocess

APT_INSTALL = "tests/utils/apt-install.sh"


def run(repo_root, env, *packages):
    return subprocess.run(
        [str(repo_root / APT_INSTALL), *packages], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_installed_packages_call_no_apt(repo_root, fake_bin, tmp_path):
    marker = tmp_path / "apt-called"
    fake_bin("apt-get", "touch %s\n" % marker)
    result = run(repo_root, fake_bin.env, "bash", "coreutils")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


def test_missing_package_is_installed_through_apt(repo_root, fake_bin, tmp_path):
    calls = tmp_path / "apt-calls"
    fake_bin("apt-get", 'echo "$*" >> %s\n' % calls)
    result = run(repo_root, fake_bin.env, "bash", "sfmlops-no-such-package")
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    assert lines[0] == "update -qq"
    assert lines[1].startswith("install -y") and lines[1].endswith(" sfmlops-no-such-package")


def test_failing_apt_is_one_clear_error(repo_root, fake_bin):
    fake_bin("apt-get", "exit 100\n")
    result = run(repo_root, fake_bin.env, "sfmlops-no-such-package")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "ERROR: apt-get install sfmlops-no-such-package failed (see /tmp/sfmlops-apt.log)"
    )
