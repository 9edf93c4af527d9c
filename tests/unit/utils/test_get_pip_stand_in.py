"""tests/utils/get_pip_stand_in.py bootstraps pip in an empty venv as ansible-test asks."""

import ensurepip
import subprocess
import venv


def test_bootstraps_requested_pip_and_drops_get_pip_only_options(repo_root, tmp_path):
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    bundled = ensurepip.version()  # installable with no network: ensurepip ships it
    subprocess.run(
        [str(python), str(repo_root / "tests/utils/get_pip_stand_in.py"),
         "--disable-pip-version-check", "--no-index", "pip==%s" % bundled, "--no-setuptools", "--no-wheel"],
        check=True, timeout=120, capture_output=True,
    )
    version = subprocess.run(
        [str(python), "-m", "pip", "--version"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert version.startswith("pip %s " % bundled)
