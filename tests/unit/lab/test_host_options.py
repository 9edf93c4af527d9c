"""The Molecule platforms state the lab host's docker run options (tests/lab/host-options, and
scorer-host-options for a host with its own engine), which Molecule's YAML cannot read from
the file the lab and the tests use: a drift here fails."""

import pathlib

import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
KEYS = {"--cap-add": "capabilities", "--cgroupns": "cgroupns_mode", "--volume": "volumes", "--tmpfs": "tmpfs",
        "--security-opt": "security_opts"}


def as_platform(*names):
    """The options of tests/lab/NAME files as Molecule docker platform keys."""
    platform = {}
    for name in names:
        for line in (REPO_ROOT / "tests" / "lab" / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                option, _sep, value = line.strip().partition("=")
                if KEYS[option] == "cgroupns_mode":
                    platform["cgroupns_mode"] = value
                else:
                    platform.setdefault(KEYS[option], []).append(value)
    return platform


def platform_options(path):
    platform = yaml.safe_load(path.read_text())["platforms"][0]
    return dict((key, platform[key]) for key in KEYS.values() if key in platform)


def test_the_base_platform_is_the_lab_host():
    assert platform_options(REPO_ROOT / ".config" / "molecule" / "config.yml") == as_platform("host-options")


def test_the_scorer_platform_is_the_lab_scorer_host():
    assert platform_options(REPO_ROOT / "molecule" / "scorer" / "molecule.yml") \
        == as_platform("host-options", "scorer-host-options")
