"""tests/run-all.sh (`make test`) with stand-in steps, in a copy of the tree's tests/ scripts: its
last line is the count alone (`make-test: N passed, N failed`, what CI reads), and when
tests/lab/images.sh recorded that the archive does not serve trixie (its tests then skip) the
line before says trixie was not tested."""

import shutil
import subprocess

import pytest

# The scripts run-all.sh calls by path, each a stand-in exiting with $<NAME>_RC (default 0).
SCRIPTS = {"tests/lab/engine.sh": "ENGINE", "tests/lab/images.sh": "IMAGES", "tests/molecule.sh": "MOLECULE",
           "tests/sanity.sh": "SANITY", "tests/integration.sh": "INTEGRATION"}
COMMANDS = {"pytest": "UNITS", "ansible-lint": "LINT", "antsibull-changelog": "CHANGELOG"}


@pytest.fixture
def run_all(repo_root, fake_bin, tmp_path):
    tree = tmp_path / "tree"
    (tree / "tests").mkdir(parents=True)
    shutil.copy(repo_root / "tests" / "run-all.sh", tree / "tests" / "run-all.sh")
    for path, name in SCRIPTS.items():
        script = tree / path
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("#!/usr/bin/env bash\nexit ${%s_RC:-0}\n" % name)
        script.chmod(0o755)
    for command, name in COMMANDS.items():
        fake_bin(command, "exit ${%s_RC:-0}\n" % name)
    cache = tmp_path / "cache"
    cache.mkdir()

    def run(**rcs):
        env = dict(fake_bin.env, SFMLOPS_CACHE=str(cache), **dict(("%s_RC" % k.upper(), str(v)) for k, v in rcs.items()))
        result = subprocess.run([str(tree / "tests" / "run-all.sh")], env=env, capture_output=True, text=True,
                                timeout=60, check=False)
        result.lines = result.stdout.rstrip("\n").splitlines()
        return result

    run.cache = cache
    run.tree = tree
    run.fake_bin = fake_bin
    return run


def meeting(tmp_path):
    """The start of a stand-in step that waits for another to have started (`set -- ME OTHER`
    first): it marks its own start under tmp_path/marks, then waits for OTHER's mark, and exits 9
    when OTHER did not start within 20 s (the two run one after the other)."""
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    return ("touch %s/$1\nfor _ in $(seq 200); do [ -e %s/$2 ] && break; sleep 0.1; done\n"
            "[ -e %s/$2 ] || exit 9\n" % (marks, marks, marks))


def test_the_last_line_is_the_count_alone(run_all):
    result = run_all()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.lines[-1] == "make-test: 8 passed, 0 failed"
    assert "trixie" not in result.stdout


def test_trixie_not_served_is_said_on_the_line_before_the_count(run_all):
    (run_all.cache / "not-served-trixie").write_text(
        "trixie not served by the archive http://deb.example/debian (asked 2026-01-01T00:00Z): bookworm only\n")
    result = run_all(sanity=1)
    assert result.returncode != 0
    assert result.lines[-2:] == [
        "make-test: not tested on trixie: trixie not served by the archive http://deb.example/debian "
        "(asked 2026-01-01T00:00Z): bookworm only",
        "make-test: 7 passed, 1 failed"]


def test_no_note_when_the_images_step_failed(run_all):
    (run_all.cache / "not-served-trixie").write_text("trixie not served by the archive x: bookworm only\n")
    result = run_all(images=1)
    assert "not tested on trixie" not in result.stdout
    assert result.lines[-1] == "make-test: 5 passed, 3 failed"


def test_sanity_runs_beside_the_units_and_its_failure_counts(run_all, tmp_path):
    # Sanity and the units each wait for the other to have started: run one after the other,
    # they would deadlock (the stand-ins give up after 20 s and fail).
    waiting = meeting(tmp_path) + "rc=$3_RC\nexit ${!rc:-0}\n"
    (run_all.tree / "tests" / "sanity.sh").write_text("#!/usr/bin/env bash\nset -- sanity units SANITY\n" + waiting)
    run_all.fake_bin("pytest", "set -- units sanity UNITS\n" + waiting)
    result = run_all(sanity=3)
    assert result.returncode != 0
    assert "FAIL  sanity (" in result.stdout and "beside the others, exit 3)" in result.stdout
    assert "PASS  units (" in result.stdout
    assert result.lines[-1] == "make-test: 7 passed, 1 failed"


def test_the_images_build_beside_the_units_and_molecule_starts_once_they_are_built(run_all, tmp_path):
    # The images step and the units each wait for the other to have started (run one after the
    # other, they would give up after 20 s and fail); Molecule fails unless the images ended first.
    waiting = meeting(tmp_path)
    marks = tmp_path / "marks"
    (run_all.tree / "tests" / "lab" / "images.sh").write_text(
        "#!/usr/bin/env bash\nset -- images units\n" + waiting + "sleep 0.5; touch %s/built\n" % marks)
    run_all.fake_bin("pytest", "set -- units images\n" + waiting)
    (run_all.tree / "tests" / "molecule.sh").write_text("#!/usr/bin/env bash\n[ -e %s/built ] || exit 7\n" % marks)
    result = run_all()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  images (" in result.stdout and "PASS  units (" in result.stdout
    assert "PASS  molecule (" in result.stdout, result.stdout
    assert result.lines[-1] == "make-test: 8 passed, 0 failed"


def test_when_the_images_are_not_built_molecule_and_the_integration_tests_fail_saying_so(run_all):
    result = run_all(images=2)
    assert result.returncode != 0
    assert "FAIL  images (" in result.stdout and "exit 2)" in result.stdout
    assert "the lab images were not built (the images step failed): tests/molecule.sh not run" in result.stdout
    assert "FAIL  integration (the lab images were not built)" in result.stdout
    assert result.lines[-1] == "make-test: 5 passed, 3 failed"
