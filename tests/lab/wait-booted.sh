#!/usr/bin/env bash
# wait-booted.sh CONTAINER [SECONDS]: until systemd in CONTAINER has finished booting, bounded
# (default 90 s). systemd reports running once boot has finished, degraded when a unit failed;
# before its bus is up, systemctl answers nothing at all. A failed unit fails, naming the units.
# The one boot wait of the lab (tests/lab/lab.sh), the tests (tests/utils/docker.py) and the
# Molecule instances (molecule/resources/create.yml).
set -uo pipefail
container=$1 seconds=${2:-90} status=
for _ in $(seq 1 "$seconds"); do
    status=$(docker exec "$container" systemctl is-system-running 2>/dev/null || true)
    case "$status" in
        running) exit 0 ;;
        degraded)
            echo "ERROR: $container booted with failed units: $(docker exec "$container" \
                systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')" >&2
            exit 1 ;;
    esac
    sleep 1
done
echo "ERROR: $container did not finish booting within ${seconds}s (systemd: ${status:-no answer})" >&2
exit 1
