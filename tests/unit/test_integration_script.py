"""tests/integration.sh against a stand-in pytest: the exit status says whether both runs passed,
and the engine restart run selecting no test (pytest's exit 5) passes only when the caller made
a selection of their own."""

import subprocess

import pytest

PYTEST = r"""
echo "pytest $*" >> "$CALLS"
case " $* " in
*" -m engine_restart "*) [ -z "${SFMLOPS_BEFORE_ENGINE_RESTART:-}" ] || [ -e "$SFMLOPS_BEFORE_ENGINE_RESTART" ] || exit 9
    exit "$ENGINE_RC" ;;
*) exit "$MAIN_RC" ;;
esac
"""


@pytest.fixture
def integration(repo_root, fake_bin, tmp_path):
    calls = tmp_path / "calls"

    def run(*args, main_rc=0, engine_rc=0, env_extra=None):
        calls.write_text("")
        fake_bin("pytest", PYTEST)
        env = dict(fake_bin.env, CALLS=str(calls), MAIN_RC=str(main_rc), ENGINE_RC=str(engine_rc), **(env_extra or {}))
        result = subprocess.run([str(repo_root / "tests/integration.sh"), *args], env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        result.calls = calls.read_text().splitlines()
        return result

    return run


def test_both_runs_passing_pass_and_the_arguments_go_to_both(integration):
    result = integration("-k", "lab")
    assert result.returncode == 0
    assert len(result.calls) == 2 and all(call.endswith(" -k lab") for call in result.calls), result.calls
    assert "-m not engine_restart" in result.calls[0] and "-m engine_restart" in result.calls[1]


def test_a_plain_run_that_selects_no_engine_restart_test_fails(integration):
    assert integration(engine_rc=5).returncode == 1


def test_a_callers_selection_may_leave_no_engine_restart_test(integration):
    assert integration("-k", "examples", engine_rc=5).returncode == 0


@pytest.mark.parametrize("args", [(), ("-k", "examples")], ids=["plain", "selection"])
@pytest.mark.parametrize("main_rc, engine_rc", [(1, 0), (0, 1), (0, 2)])
def test_a_failed_run_fails(integration, args, main_rc, engine_rc):
    assert integration(*args, main_rc=main_rc, engine_rc=engine_rc).returncode == 1


def test_a_failed_first_run_fails_even_when_the_second_selects_nothing(integration):
    assert integration("-k", "examples", main_rc=1, engine_rc=5).returncode == 1


def test_the_engine_restart_waits_for_the_file_it_is_told_to(integration, tmp_path):
    """make test's Molecule run writes the file when it ends; the engine restart comes after."""
    barrier = tmp_path / "molecule.log.rc"
    # The stand-in engine restart run fails (9) when the file is not there yet.
    writer = subprocess.Popen(["sh", "-c", "sleep 2 && echo '0 1' > %s" % barrier])
    result = integration(env_extra={"SFMLOPS_BEFORE_ENGINE_RESTART": str(barrier)})
    writer.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert len(result.calls) == 2
