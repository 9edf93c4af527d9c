#!/usr/bin/env bash
# Install Debian packages that are missing (one `apt-get update` per call, only when needed).
# Usage: apt-install.sh PACKAGE...
set -euo pipefail

missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "ERROR: missing Debian packages (${missing[*]}); installing them needs root" >&2
    exit 1
fi
log=/tmp/sfmlops-apt.log
echo "Installing ${missing[*]} (Debian packages)..."
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "ERROR: apt-get install ${missing[*]} failed (see $log)" >&2
    exit 1
fi
