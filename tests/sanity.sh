#!/usr/bin/env bash
# ansible-test needs the collection at …/ansible_collections/sparkflows/mlops: copy the
# files git knows (tracked, or new and not ignored) there and run the sanity tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
python_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/sparkflows/mlops"
mkdir -p "$dest"
"$root/tests/utils/apt-install.sh" shellcheck  # else ansible-test skips the shellcheck test

# ansible-test bootstraps pip in its sanity venvs with a script from a host that is not
# reachable here: put the stand-in where ansible-test looks for its cached copy.
ansible_test_dir=$(python3 -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(grep -oP "pip='\K[0-9.]+" "$ansible_test_dir/_internal/python_requirements.py")
cache_file="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$cache_file" ]; then
    mkdir -p "$(dirname "$cache_file")"
    cp "$root/tests/utils/get_pip_stand_in.py" "$cache_file"
fi

cd "$root"
# The working tree as it is: a tracked file deleted (or moved) and not yet committed is left out.
files() {
    git ls-files -co --exclude-standard -z | while IFS= read -r -d '' file; do
        if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi
    done
}
files | xargs -0 -I{} cp --parents -P {} "$dest/" 2>/dev/null || \
    { files | tar --null -T - -cf - | tar -C "$dest" -xf -; }
cd "$dest"
ansible-test sanity --python "$python_version" --color no "$@"
