"""The mutations issue #24 named, each applied to a copy of plugins/ and caught by a unit test.

mutmut's operators do not make all of them (it does not mutate module-level data such as the
connection argspec, nor swap the two halves of the model order), so `make mutation` applies
these by hand too: in a copy of the checkout under .cache/mutation/named/ (the checkout is never
written), one at a time, each followed by the unit tests that must fail on it. The unmutated copy
must pass them first. A mutation whose source text is no longer found fails the run: update it
here with the code it stood for.

Usage (from the checkout, in the venv): python tests/mutation/named_mutants.py
"""

import os
import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
WORK = REPO / ".cache" / "mutation" / "named"
MU = "plugins/module_utils/"
UNIT = "tests/unit/plugins/module_utils/"

# (name, file, source text, mutated text, tests that must fail)
MUTATIONS = [
    ("model order compares id before version", MU + "_sparkflows/client.py",
     "(answers.version_key(m.get('version')), answers.id_key(m))",
     "(answers.id_key(m), answers.version_key(m.get('version')))",
     [UNIT + "_sparkflows/test_sparkflows_client_selection.py",
      UNIT + "_sparkflows/test_sparkflows_answers.py::test_versions_are_ordered_as_numbers"]),
    ("model ids compared as text", MU + "_sparkflows/answers.py",
     "return (0, int(text)) if text.isdigit() else (1, text)", "return (1, text)",
     [UNIT + "_sparkflows/test_sparkflows_client_selection.py"]),
    ("checksum check of a download skipped", MU + "_sparkflows/model_fetch.py",
     "if checksum and sha256 != checksum:", "if False:",
     [UNIT + "_sparkflows/test_model_fetch.py"]),
    ("checksum asked for not compared with the recorded one", MU + "_sparkflows/model_fetch.py",
     "if not same_model or (checksum and recorded.get('sha256') != checksum):", "if not same_model:",
     [UNIT + "_sparkflows/test_model_fetch.py"]),
    ("verify=sha256 skipped", MU + "_sparkflows/model_fetch.py",
     "if params['verify'] == 'sha256' and sha256_of(params['dest']) != recorded.get('sha256'):", "if False:",
     [UNIT + "_sparkflows/test_model_fetch.py"]),
    ("download digest not the body's", MU + "_sparkflows/model_transfer.py",
     "                return digest.hexdigest()", "                return hashlib.sha256(b'').hexdigest()",
     [UNIT + "_sparkflows/test_model_fetch.py"]),
    ("no_log dropped from api_token", MU + "_sparkflows/client.py",
     "api_token=dict(type='str', no_log=True)", "api_token=dict(type='str')",
     [UNIT + "_sparkflows/test_sparkflows_connection_options.py"]),
    ("no_log dropped from api_password", MU + "_sparkflows/client.py",
     "api_password=dict(type='str', no_log=True)", "api_password=dict(type='str')",
     [UNIT + "_sparkflows/test_sparkflows_connection_options.py"]),
    ("validate_certs defaults to false (argspec)", MU + "_sparkflows/client.py",
     "validate_certs=dict(type='bool', default=True)", "validate_certs=dict(type='bool', default=False)",
     [UNIT + "_sparkflows/test_sparkflows_connection_options.py"]),
    ("validate_certs defaults to false (transport)", MU + "_sparkflows/http.py",
     "api_password=None, validate_certs=True,", "api_password=None, validate_certs=False,",
     [UNIT + "_sparkflows/test_sparkflows_connection_options.py"]),
    ("local copy's mtime not compared", MU + "_sparkflows/model_fetch.py",
     "if st.st_size != recorded.get('size') or st.st_mtime_ns != recorded.get('mtime_ns'):",
     "if st.st_size != recorded.get('size'):",
     [UNIT + "_sparkflows/test_model_fetch.py"]),
    ("dpkg installed state loosened (substring)", MU + "_common/os_packages.py",
     "if status.strip() == 'installed':", "if 'installed' in status:",
     [UNIT + "_common/test_os_packages.py"]),
    ("dpkg installed state loosened (any status)", MU + "_common/os_packages.py",
     "if status.strip() == 'installed':", "if status.strip():",
     [UNIT + "_common/test_os_packages.py"]),
    ("dpkg installed state loosened (suffix)", MU + "_common/os_packages.py",
     "if status.strip() == 'installed':", "if status.strip().endswith('installed'):",
     [UNIT + "_common/test_os_packages.py"]),
    ("not_kept compares values as empty/non-empty", MU + "_sparkflows/mlflow_config.py",
     "if not (stored == value or (value and is_masked(stored))):", "if bool(stored) != bool(value):",
     ["tests/unit/plugins/modules/test_mlflow_config.py"]),
    ("a value shown masked carried in a whole-set write", MU + "_sparkflows/client.py",
     "carried = [] if only_changed else written.masked_names(exclude=changes)", "carried = []",
     [UNIT + "_sparkflows/test_sparkflows_client.py"]),
]


def stage():
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "output")
    shutil.copytree(REPO / "plugins", WORK / "plugins", ignore=ignore)
    shutil.copytree(REPO / "tests", WORK / "tests", ignore=ignore)
    # tests/conftest.py imports the collection from .cache/collections beside tests/: the copy.
    link = WORK / ".cache" / "collections" / "ansible_collections" / "sparkflows" / "mlops"
    link.parent.mkdir(parents=True)
    os.symlink("../../../..", str(link))


def failing(tests):
    """pytest's exit code: 1 when a test failed (caught), 0 when all passed."""
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"] + tests,
                          cwd=str(WORK), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=600, check=False).returncode


def main():
    stage()
    problems = []
    rc = failing(sorted({test for mutation in MUTATIONS for test in mutation[4]}))
    print("named mutations: the unmutated copy %s" % ("passes" if rc == 0 else "FAILS (rc %d)" % rc))
    if rc != 0:
        problems.append("unmutated copy")
    for name, path, source, mutated, tests in MUTATIONS:
        original = (WORK / path).read_text()
        if original.count(source) != 1:
            print("  NOT FOUND %-50s %s: %r" % (name, path, source))
            problems.append(name)
            continue
        (WORK / path).write_text(original.replace(source, mutated))
        try:
            rc = failing(tests)
        finally:
            (WORK / path).write_text(original)
        print("  %-10s %s" % ("caught" if rc == 1 else "MISSED rc=%d" % rc, name))
        if rc != 1:
            problems.append(name)
    shutil.rmtree(WORK, ignore_errors=True)
    if problems:
        print("named mutations: FAILED: %s" % "; ".join(problems))
        return 1
    print("named mutations: all %d caught" % len(MUTATIONS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
