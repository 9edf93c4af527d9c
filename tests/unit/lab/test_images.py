"""tests/lab/images.sh against stand-in docker, curl and debootstrap commands (no engine, no
archive): a suite the archive does not serve leaves no stale lab image behind and is recorded
(not-served-trixie in the cache, which the tests read to tell a missing image from an archive
that does not serve it), and the base image's inputs hash is made from the debootstrap command
line itself."""

import hashlib
import subprocess

import pytest

MIRROR = "http://deb.debian.org/debian"

DOCKER = r"""
echo "docker $*" >> "$CALLS"
case "$1" in
image)
    [ "$2" = inspect ] || exit 1
    if [ "$3" = -f ]; then format=$4; name=$5; else format=; name=$3; fi
    case "$format" in
    *sfmlops.base.inputs*) exit 1 ;;  # no base image yet: bootstrapped
    *.Id*) echo "sha256:0123"; exit 0 ;;
    *sfmlops.lab.context*) exit 1 ;;  # built
    "") grep -qxF "$name" "$PRESENT" ;;
    *) exit 1 ;;
    esac
    ;;
rmi) exit "${RMI_RC:-0}" ;;
*) exit 0 ;;
esac
"""


@pytest.fixture
def images(repo_root, fake_bin, tmp_path):
    calls, present = tmp_path / "calls", tmp_path / "present"
    (tmp_path / "cas").mkdir()

    def run(*suites, served=True, images_present=(), rmi_rc=0):
        calls.write_text("")
        present.write_text("".join(image + "\n" for image in images_present))
        fake_bin("docker", DOCKER)
        fake_bin("curl", "echo \"curl $*\" >> \"$CALLS\"\nexit %d\n" % (0 if served else 22))
        fake_bin("debootstrap", "echo \"debootstrap $*\" >> \"$CALLS\"\n")
        fake_bin("dpkg-query", "printf 'install ok installed'\n")
        env = dict(fake_bin.env, CALLS=str(calls), PRESENT=str(present), RMI_RC=str(rmi_rc),
                   SFMLOPS_CACHE=str(tmp_path / "cache"), SFMLOPS_EXTRA_CA_DIR=str(tmp_path / "cas"),
                   SFMLOPS_DEBIAN_MIRROR=MIRROR)
        result = subprocess.run([str(repo_root / "tests/lab/images.sh"), *suites], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        result.calls = calls.read_text().splitlines()
        result.marker = tmp_path / "cache" / "not-served-trixie"
        return result

    return run


def calls_of(result, command):
    return [call.split()[1:] for call in result.calls if call.split()[0] == command]


STALE = ("sfmlops/lab-scorer:trixie", "sfmlops/lab-host:trixie")


def test_trixie_not_served_removes_its_stale_lab_images(images):
    result = images(served=False, images_present=STALE + ("sfmlops/lab-host:bookworm",))
    assert result.returncode == 0, result.stderr
    assert "trixie not served by %s: skipping it" % MIRROR in result.stdout
    assert ["rmi", "-f", *STALE] in calls_of(result, "docker")
    assert [call for call in calls_of(result, "docker") if call[0] == "rmi"] == [["rmi", "-f", *STALE]]
    assert [call[-3] for call in calls_of(result, "debootstrap")] == ["bookworm"]
    assert not any("trixie" in " ".join(call) for call in calls_of(result, "docker") if call[0] == "build")


def test_trixie_not_served_is_recorded_where_the_tests_read_it(images, monkeypatch, tmp_path):
    result = images(served=False)
    assert result.returncode == 0, result.stderr
    assert result.marker.read_text().startswith("trixie not served by the archive %s (asked " % MIRROR)
    assert result.marker.read_text().rstrip().endswith("): bookworm only")
    # The tests' reader finds it through the same cache directory.
    from utils.lab import not_served
    monkeypatch.setenv("SFMLOPS_CACHE", str(tmp_path / "cache"))
    assert not_served("trixie") == result.marker.read_text().strip()
    assert not_served("bookworm") is None


def test_trixie_served_again_removes_the_record(images):
    assert images(served=False).marker.is_file()
    result = images(served=True)
    assert result.returncode == 0, result.stderr
    assert not result.marker.exists()


def test_suites_given_keep_the_record_of_the_archive(images):
    assert images(served=False).marker.is_file()
    result = images("bookworm", served=True)
    assert result.returncode == 0, result.stderr
    assert result.marker.is_file()


def test_trixie_not_served_and_no_image_of_it_removes_nothing(images):
    result = images(served=False, images_present=("sfmlops/lab-host:bookworm",))
    assert result.returncode == 0, result.stderr
    assert [call for call in calls_of(result, "docker") if call[0] == "rmi"] == []


def test_stale_images_that_cannot_be_removed_fail_the_build(images):
    result = images(served=False, images_present=STALE, rmi_rc=1)
    assert result.returncode != 0
    assert "ERROR: cannot remove the stale %s" % " ".join(STALE) in result.stderr


def test_trixie_served_is_built_and_nothing_removed(images):
    result = images(served=True, images_present=STALE)
    assert result.returncode == 0, result.stderr
    assert [call for call in calls_of(result, "docker") if call[0] == "rmi"] == []
    assert [call[-3] for call in calls_of(result, "debootstrap")] == ["bookworm", "trixie"]


def test_suites_given_are_built_without_asking_the_archive(images):
    result = images("bookworm", served=False, images_present=STALE)
    assert result.returncode == 0, result.stderr
    assert calls_of(result, "curl") == []
    assert [call for call in calls_of(result, "docker") if call[0] == "rmi"] == []


def test_the_base_inputs_hash_is_the_debootstrap_command_line(images):
    result = images("bookworm")
    assert result.returncode == 0, result.stderr
    [argv] = calls_of(result, "debootstrap")
    options, suite, mirror = argv[:-3], argv[-3], argv[-1]
    assert all(option.startswith("--") for option in options), argv
    inputs = "suite=%s %s mirror=%s" % (suite, " ".join(option[2:] for option in options), mirror)
    expected = hashlib.sha256(inputs.encode()).hexdigest()[:16]
    [imported] = [call for call in calls_of(result, "docker") if call[0] == "import"]
    assert "LABEL sfmlops.base.inputs=%s" % expected in " ".join(imported)
