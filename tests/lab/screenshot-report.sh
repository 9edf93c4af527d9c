#!/usr/bin/env bash
# Regenerates docs/images/fleet-report.png from the current report template, on the running lab
# (`make lab` first): scorer2's scorer stopped, playbooks/report.yml written to a temporary
# directory and rendered by headless Chromium (Debian chromium, installed when missing); then
# scorers.yml puts scorer2's scorer back, whatever happened. Beside the image it writes the
# sha256 of the template it was rendered from (OUTPUT.template-sha256).
# Usage: tests/lab/screenshot-report.sh [OUTPUT.png]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
output=${1:-$root/docs/images/fleet-report.png}
lab=${SFMLOPS_LAB_NAME:-sfmlops-lab}
export PATH="$root/.venv/bin:$PATH" ANSIBLE_CONFIG="$root/ansible.cfg"
cd "$root"
"$root/tests/utils/apt-install.sh" chromium
work=$(mktemp -d)
restore() {
    ansible-playbook -i inventories/lab playbooks/scorers.yml --limit scorer2 >"$work/restore.log" 2>&1 \
        || echo "ERROR: scorer2's scorer was not put back (see playbooks/scorers.yml --limit scorer2)" >&2
    rm -rf "$work"
}
trap restore EXIT
docker exec "$lab-scorer2" docker stop sparkflows-scorer-churn-model >/dev/null
# The report is red here (scorer2 stopped): that is its point, not a failure.
ansible-playbook -i inventories/lab playbooks/report.yml -e report_dir="$work" >"$work/report.log" 2>&1 \
    || { cat "$work/report.log" >&2; exit 1; }
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
    --disable-background-networking --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$work/chromium" --screenshot="$output" "file://$work/report.html" 2>"$work/chromium.log" \
    || { cat "$work/chromium.log" >&2; exit 1; }
# What it was rendered from: tests/unit/docs/test_screenshot.py fails when the template changed since.
sha256sum "$root/playbooks/templates/report.html.j2" | cut -d' ' -f1 >"$output.template-sha256"
echo "$output: rendered from playbooks/templates/report.html.j2"
