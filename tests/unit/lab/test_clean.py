"""tests/lab/clean.sh (make clean-all) against a stand-in docker: the project's images are removed
by name, and those a re-push left untagged (REPOSITORY:<none>, a name rmi refuses) by id; other
images stay; the caches go."""

import subprocess

DOCKER = r"""
echo "docker $*" >> "$CALLS"
case "$1 $2" in
"info "*) exit 0 ;;
"images --format") printf '%s\n' \
    'sfmlops/lab-host:bookworm 1111aaaa' \
    '127.0.0.1:15050/sparkflows/scorer:<none> 2222bbbb' \
    '127.0.0.1:15050/sparkflows/scorer:3.1.0 3333cccc' \
    'debian:bookworm 4444dddd' ;;
"rmi -f") for ref in "${@:3}"; do case "$ref" in *"<none>"*) echo "invalid reference format" >&2; exit 1 ;; esac; done ;;
esac
exit 0
"""


def test_images_go_by_name_or_by_id_when_untagged_and_the_caches_go(repo_root, fake_bin, tmp_path):
    calls = tmp_path / "calls"
    calls.write_text("")
    fake_bin("docker", DOCKER)
    root = tmp_path / "checkout"
    (root / "tests" / "lab").mkdir(parents=True)
    (root / "tests" / "lab" / "clean.sh").write_bytes((repo_root / "tests" / "lab" / "clean.sh").read_bytes())
    (root / "tests" / "lab" / "clean.sh").chmod(0o755)
    for made in (".venv", ".cache", ".lab"):
        (root / made).mkdir()
    cache = tmp_path / "image-cache"
    cache.mkdir()
    env = dict(fake_bin.env, CALLS=str(calls), SFMLOPS_CACHE=str(cache), HOME=str(tmp_path / "home"))
    cleaned = subprocess.run([str(root / "tests" / "lab" / "clean.sh")], env=env, capture_output=True, text=True,
                             timeout=60, check=False)
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    [rmi] = [call for call in calls.read_text().splitlines() if call.startswith("docker rmi -f")]
    assert sorted(rmi.split()[3:]) == ["127.0.0.1:15050/sparkflows/scorer:3.1.0", "2222bbbb", "sfmlops/lab-host:bookworm"]
    assert not any((root / made).exists() for made in (".venv", ".cache", ".lab")) and not cache.exists()
