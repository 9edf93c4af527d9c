"""tests/molecule.sh against a stand-in molecule: every role's scenario runs from its role's
directory with the shared base, all run after a failure, and the failed ones are named and fail
the script."""

import subprocess

import pytest

MOLECULE = r"""
echo "$(basename "$PWD") $*" >> "$CALLS"
case " $FAILING " in
*" $(basename "$PWD") "*) exit 1 ;;
esac
"""


@pytest.fixture
def molecule(repo_root, fake_bin, tmp_path):
    calls = tmp_path / "calls"

    def run(*args, failing=""):
        calls.write_text("")
        fake_bin("molecule", MOLECULE)
        env = dict(fake_bin.env, CALLS=str(calls), FAILING=failing)
        result = subprocess.run([str(repo_root / "tests" / "molecule.sh"), *args], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        result.calls = calls.read_text().splitlines()
        return result

    return run


@pytest.fixture
def scenarios(repo_root):
    """The roles with a scenario, as the script finds them (in the order of their names)."""
    roles = sorted(path.parents[2].name for path in (repo_root / "roles").glob("*/molecule/default/molecule.yml"))
    assert {"mlflow_host", "scorer", "scorer_lb", "sparkflows_mlflow"} <= set(roles)
    return roles


def test_every_roles_scenario_runs_from_its_role_with_the_base(molecule, repo_root, scenarios):
    result = molecule()
    assert result.returncode == 0, result.stdout + result.stderr
    base = repo_root / ".config" / "molecule" / "config.yml"
    assert result.calls == ["%s --base-config %s test" % (role, base) for role in scenarios]
    assert result.stdout.splitlines()[-1] == "molecule: all %d scenarios passed" % len(scenarios)


def test_a_failed_scenario_fails_the_run_named_after_all_ran(molecule, scenarios):
    result = molecule(failing="mlflow_host sparkflows_mlflow")
    assert result.returncode == 1
    assert [call.split()[0] for call in result.calls] == scenarios
    assert result.stdout.splitlines()[-1] == "molecule: 2 of %d scenarios failed: mlflow_host sparkflows_mlflow" % len(
        scenarios)


def test_the_roles_named_run_alone(molecule):
    result = molecule("scorer")
    assert result.returncode == 0
    assert [call.split()[0] for call in result.calls] == ["scorer"]


def test_a_role_without_a_scenario_fails(molecule):
    result = molecule("no_such_role")
    assert result.returncode == 1
    assert "FAIL  no_such_role" in result.stdout
