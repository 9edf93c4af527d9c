"""The Molecule scenarios (roles/<role>/molecule/default/) on the shared base
(.config/molecule/config.yml): every role with tasks has one (found by globbing, as
tests/molecule.sh finds them), every path the base and the scenarios name resolves from each
scenario (Molecule drops an additional verifier file that matches nothing without a word), each
instance is its role's own, and no platform restates the lab's docker run options:
molecule/resources/create.yml reads them from tests/lab/ (host-options, and a platform's
extra_lab_options)."""

import os
import pathlib
import subprocess

import pytest
import yaml

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((REPO_ROOT / ".config" / "molecule" / "config.yml").read_text())
SCENARIOS = sorted(REPO_ROOT.glob("roles/*/molecule/default/molecule.yml"))
# Keys of the molecule-plugins docker driver's platforms that would state docker run options.
DOCKER_OPTION_KEYS = {"capabilities", "cgroupns_mode", "volumes", "tmpfs", "security_opts", "privileged",
                      "command", "stop_signal", "devices", "sysctls"}


def scenario_id(path):
    return path.parents[2].name


def roles_with_tasks():
    """Every role that has tasks (private `_` roles left out): each needs its scenario."""
    return sorted(path.parents[1].name for path in (REPO_ROOT / "roles").glob("*/tasks/main.yml")
                  if not path.parents[1].name.startswith("_"))


def test_every_role_has_its_scenario_and_nothing_is_left_at_the_old_place():
    roles = roles_with_tasks()
    assert len(roles) >= 4 and "scorer_lb" in roles, roles  # the glob itself is not broken
    assert [scenario_id(path) for path in SCENARIOS] == roles
    assert sorted(path.name for path in (REPO_ROOT / "molecule").iterdir()) == ["resources"]


def test_the_base_uses_the_shared_create_and_destroy_and_never_galaxy():
    assert BASE["driver"] == {"name": "default", "options": {"managed": True}}
    assert BASE["dependency"]["enabled"] is False and BASE["prerun"] is False
    assert "platforms" not in BASE  # each scenario names its own instance


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_the_paths_of_the_base_resolve_from_the_scenario(scenario):
    directory = scenario.parent
    for playbook in BASE["provisioner"]["playbooks"].values():
        assert (directory / playbook).resolve().is_file(), playbook
    for extra in BASE["verifier"]["additional_files_or_dirs"]:
        assert (directory / "tests" / extra).resolve().is_file(), extra
    # ${MOLECULE_SCENARIO_DIRECTORY}/../../../.. is the checkout.
    checkout = BASE["provisioner"]["inventory"]["group_vars"]["all"]["molecule_checkout"]
    assert checkout == "${MOLECULE_SCENARIO_DIRECTORY}/../../../.."
    assert (directory / "../../../..").resolve() == REPO_ROOT
    assert BASE["provisioner"]["env"]["ANSIBLE_COLLECTIONS_PATH"] == checkout + "/.cache/collections"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_the_scenario_imports_resolve(scenario):
    for playbook in scenario.parent.glob("*.yml"):
        for play in yaml.safe_load(playbook.read_text()) or []:
            imported = play.get("ansible.builtin.import_playbook") if isinstance(play, dict) else None
            if imported:
                assert (playbook.parent / imported).resolve().is_file(), (playbook.name, imported)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_the_instance_is_the_roles_own_and_takes_the_lab_options_from_tests_lab(scenario):
    platforms = yaml.safe_load(scenario.read_text())["platforms"]
    assert [platform["name"] for platform in platforms] == ["sfmlops-molecule-" + scenario_id(scenario)]
    for platform in platforms:
        assert set(platform) & DOCKER_OPTION_KEYS == set(), platform
        for name in platform.get("extra_lab_options", []):
            assert (REPO_ROOT / "tests" / "lab" / name).is_file(), name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_the_scenario_converges_its_role_and_verifies_it_with_its_own_tests(scenario):
    plays = yaml.safe_load((scenario.parent / "converge.yml").read_text())
    applied = [str(entry.get("role") if isinstance(entry, dict) else entry) for play in plays
               for entry in play.get("roles") or []]
    assert "sparkflows.mlops." + scenario_id(scenario) in applied, applied
    assert sorted((scenario.parent / "tests").glob("test_*.py")), "no testinfra test of its own"


def test_pipelining_is_on_for_every_connection_in_the_checkout_and_in_molecule():
    """Over the docker and local connections (Molecule, integration tests) a module run without
    pipelining is copied to the host first: twice the CPU. [ssh_connection] alone turns it on
    for ssh only; [connection] for every connection plugin, and Molecule writes an ansible.cfg
    of its own."""
    dumped = subprocess.run(["ansible-config", "dump", "--only-changed"], capture_output=True, text=True, timeout=120,
                            check=False, cwd=str(REPO_ROOT),
                            env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg")))
    assert dumped.returncode == 0, dumped.stderr
    assert "ANSIBLE_PIPELINING(%s) = True" % (REPO_ROOT / "ansible.cfg") in dumped.stdout, dumped.stdout
    assert BASE["provisioner"]["config_options"] == {"connection": {"pipelining": True}}
    for path in SCENARIOS:
        assert "config_options" not in (yaml.safe_load(path.read_text()).get("provisioner") or {}), path
