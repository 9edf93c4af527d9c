#!/usr/bin/env bash
# The lab: systemd + sshd hosts in containers, reachable by Ansible over SSH on loopback.
#   lab.sh up      start (or keep) the lab hosts, the Sparkflows emulator, the scorer image
#                  registry and the lab's S3 (moto: mlflow1's artifact store); write the SSH key,
#                  known_hosts, a generated MLflow admin password and database password, and the
#                  S3 keys under .lab/, and seed the emulator's model repository
#   lab.sh down    remove every lab container, the lab network, the emulator and .lab/
#   lab.sh status  list the lab hosts
# Host keys are generated per container at first boot and recorded in .lab/known_hosts, so
# Ansible keeps host key checking on.
set -euo pipefail

# Sparkflows is proprietary: the lab's Sparkflows is the test emulator (tests/emulator/),
# clearly a stand-in, in a container named sparkflows on the lab network (the scorer hosts
# download models from it) and published on loopback. The scorer image is the test stand-in
# of tests/scorer_image/, served by the registry of tests/lab/registry.sh as registry:5000.
# Overridable so tests can run a lab of their own beside a user's:
#   SFMLOPS_LAB_NAME (container/network prefix), SFMLOPS_LAB_STATE (key and known_hosts dir),
#   SFMLOPS_LAB_SSH_PORT (first loopback SSH port), SFMLOPS_LAB_SUITE (bookworm, trixie),
#   SFMLOPS_LAB_MLFLOW_PORT (loopback port of mlflow1's tracking server),
#   SFMLOPS_LAB_SPARKFLOWS_PORT (loopback port of the Sparkflows emulator),
#   SFMLOPS_LAB_SCORER_PORT (loopback port of scorer1's scoring port 8081; scorer2 gets the next),
#   SFMLOPS_LAB_REGISTRY_PORT (loopback port of the lab's registry, 15050),
#   SFMLOPS_LAB_S3_PORT (loopback port of the lab's S3, moto's server, 19000),
#   SFMLOPS_LAB_LB_PORT (loopback port of lb1's HTTPS frontend 8443, 18443; lb2 gets the next),
#   SFMLOPS_LAB_SCORERS (how many scorer hosts, 2; the fleet benchmark asks for more),
#   SFMLOPS_LAB_BALANCERS (how many balancer hosts, 1; the endpoint tests ask for 2).
# The lab's own CA (STATE/ca/ca.crt, ca.key) signs the registry's certificate and is the CA the
# scorer_lb role issues lb1's certificate from; STATE/scorer-api-key is the endpoint's API key.
root=$(cd "$(dirname "$0")/../.." && pwd)
lab=${SFMLOPS_LAB_NAME:-sfmlops-lab}
state=${SFMLOPS_LAB_STATE:-$root/.lab}
suite=${SFMLOPS_LAB_SUITE:-bookworm}
image="sfmlops/lab-host:$suite"
network=$lab
label="sfmlops.lab=$lab"
ssh_base=${SFMLOPS_LAB_SSH_PORT:-22220}
mlflow_port=${SFMLOPS_LAB_MLFLOW_PORT:-15000}
sparkflows_port=${SFMLOPS_LAB_SPARKFLOWS_PORT:-18080}
scorer_port=${SFMLOPS_LAB_SCORER_PORT:-18181}
lb_port=${SFMLOPS_LAB_LB_PORT:-18443}
s3_port=${SFMLOPS_LAB_S3_PORT:-19000}
# name:offset — the offset picks the loopback SSH port (ssh_base + offset). sparkflows1 is the
# Sparkflows host (its service user `sparkflows`, no Sparkflows in it: the API is the emulator);
# lb1, lb2, ... the scorers' balancers, counted down from 98; scorer1, scorer2, ... up from 1.
scorers=${SFMLOPS_LAB_SCORERS:-2}
balancers=${SFMLOPS_LAB_BALANCERS:-1}
if (( scorers < 1 || balancers < 1 || scorers + balancers > 98 )); then
    echo "lab.sh: at least one scorer host and one balancer, at most 98 of them together (SSH port offsets 1 to 98)" >&2
    exit 2
fi
hosts=(mlflow1:0 sparkflows1:99)
for n in $(seq 1 "$balancers"); do
    hosts+=("lb$n:$((99 - n))")
done
for n in $(seq 1 "$scorers"); do
    hosts+=("scorer$n:$n")
done

log() { echo "[lab] $*"; }

# running_as CONTAINER SETTINGS: whether CONTAINER runs as this lab would start it now (its label
# sfmlops.lab.settings: image, state directory, published ports). One started otherwise is
# removed, to be started anew: a lab left running by an earlier run (its restart policy brings it
# back with the engine) must not be kept on ports and a state directory nobody asks for.
running_as() {
    local container=$1 settings=$2
    [ "$(docker inspect -f '{{.State.Running}} {{index .Config.Labels "sfmlops.lab.settings"}}' "$container" 2>/dev/null || true)" \
        = "true $settings" ] && return 0
    docker rm -f -v "$container" >/dev/null 2>&1 || true
    return 1
}

run_host() {
    local name=$1 port=$2 container="$lab-$1"
    local publish=(-p "127.0.0.1:$port:22") host_image=$image extra=()
    case "$1" in
        # The MLflow host's tracking server, reachable from the machine running the lab.
        mlflow1) publish+=(-p "127.0.0.1:$mlflow_port:5000") ;;
        # A balancer's HTTPS frontend of churn-model: lb1's is the lab's one URL of it.
        lb*) publish+=(-p "127.0.0.1:$((lb_port + ${1#lb} - 1)):8443") ;;
        # Scorer hosts run their own Docker Engine (nested, still without --privileged: it
        # needs NET_ADMIN and unconfined seccomp/AppArmor); their scoring port 8081 is published.
        scorer*)
            host_image="sfmlops/lab-scorer:$suite"
            publish+=(-p "127.0.0.1:$((scorer_port + ${1#scorer} - 1)):8081")
            mapfile -t extra < <(grep -v '^#' "$root/tests/lab/scorer-host-options") ;;
    esac
    local settings="$host_image $state ${publish[*]}"
    if running_as "$container" "$settings"; then
        log "$container running"
        return
    fi
    local host_options
    mapfile -t host_options < <(grep -v '^#' "$root/tests/lab/host-options")
    docker run -d --name "$container" --hostname "$name" --network "$network" \
        --label "$label" --label "sfmlops.lab.settings=$settings" --restart unless-stopped "${host_options[@]}" \
        "${extra[@]}" "${publish[@]}" "$host_image" >/dev/null
    log "$container started (ssh 127.0.0.1:$port)"
}

up() {
    local needed
    for needed in "$image" "sfmlops/lab-scorer:$suite" "sfmlops/debian:$suite" sfmlops/debian:bookworm; do
        docker image inspect "$needed" >/dev/null 2>&1 \
            || { echo "ERROR: $needed missing: run tests/lab/images.sh $suite" >&2; exit 1; }
    done
    docker network inspect "$network" >/dev/null 2>&1 \
        || docker network create --label "$label" "$network" >/dev/null
    # Each systemd host takes several inotify instances; the kernel's default of 128 per user
    # stops boots midway once a dozen or more run (the fleet benchmark runs 21).
    if [ "${#hosts[@]}" -gt 4 ] && [ "$(sysctl -n fs.inotify.max_user_instances)" -lt 1024 ]; then
        log "raising fs.inotify.max_user_instances to 1024 for ${#hosts[@]} systemd hosts"
        sysctl -q -w fs.inotify.max_user_instances=1024
    fi
    mkdir -p "$state" && chmod 0700 "$state"
    [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C sfmlops-lab -f "$state/id_ed25519"
    : >"$state/known_hosts.new"
    local entry name port container key
    for entry in "${hosts[@]}"; do
        name=${entry%%:*}; port=$((ssh_base + ${entry##*:})); container="$lab-$name"
        run_host "$name" "$port"
        "$root/tests/lab/wait-booted.sh" "$container" || exit 1
        docker exec -i "$container" sh -c 'umask 077; mkdir -p /root/.ssh; cat > /root/.ssh/authorized_keys' \
            <"$state/id_ed25519.pub"
        # The user a Sparkflows install runs as: remote mode gives it SSH access to mlflow1.
        [ "$name" != sparkflows1 ] || docker exec "$container" sh -c \
            'id sparkflows >/dev/null 2>&1 || useradd --create-home --shell /bin/bash sparkflows'
        # The host key as the container itself holds it (not trusted from the network).
        key=$(docker exec "$container" cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)
        echo "[127.0.0.1]:$port $key" >>"$state/known_hosts.new"
    done
    mv "$state/known_hosts.new" "$state/known_hosts"
    [ -f "$state/mlflow-admin-password" ] || (umask 077; head -c 18 /dev/urandom | base64 >"$state/mlflow-admin-password")
    # The password of MLflow's PostgreSQL user (role mlflow_db makes it on mlflow1, mlflow_host logs in).
    [ -f "$state/mlflow-db-password" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$state/mlflow-db-password")
    [ -f "$state/scorer-api-key" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$state/scorer-api-key")
    make_ca
    start_sparkflows
    start_registry
    start_s3
    log "ready: ansible -i inventories/lab all -m ping"
    log "stop:  make lab-down"
}

make_ca() {
    # The lab's CA: it signs the registry's certificate, and the scorer_lb role issues lb1's from it.
    [ -s "$state/ca/ca.crt" ] && [ -s "$state/ca/ca.key" ] && return
    mkdir -p "$state/ca" && chmod 0700 "$state/ca"
    (umask 077
     # Key usage and basic constraints marked as a CA's: strict X.509 checks (Python 3.13, Debian
     # 13) refuse a CA certificate without them.
     openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
         -subj "/CN=sparkflows.mlops lab CA" -addext "basicConstraints=critical,CA:TRUE" \
         -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$state/ca/ca.key" -out "$state/ca/ca.crt" 2>/dev/null)
    chmod 0644 "$state/ca/ca.crt"
}

start_sparkflows() {
    local container="$lab-sparkflows"
    mkdir -p "$state/sparkflows/models"
    # The lab's model repository: churn-model, model 101 (a Sparkflows-style bundle).
    [ -s "$state/sparkflows/models/101.zip" ] || python3 "$root/tests/emulator/models.py" "$state/sparkflows/models/101.zip"
    local settings="sfmlops/debian:$suite $state -p 127.0.0.1:$sparkflows_port:8080"
    if ! running_as "$container" "$settings"; then
        docker run -d --name "$container" --hostname sparkflows --network "$network" --network-alias sparkflows \
            --label "$label" --label "sfmlops.lab.settings=$settings" --restart unless-stopped -p "127.0.0.1:$sparkflows_port:8080" \
            -v "$root/tests/emulator:/opt/emulator:ro" -v "$state/sparkflows:/var/lib/sparkflows" \
            "sfmlops/debian:$suite" python3 /opt/emulator/sparkflows_emulator.py --host 0.0.0.0 --port 8080 \
            --state-file /var/lib/sparkflows/configurations.json --models-dir /var/lib/sparkflows/models >/dev/null
    fi
    for _ in $(seq 1 50); do
        if curl -fs --max-time 2 "http://127.0.0.1:$sparkflows_port/healthcheck" >/dev/null; then
            log "Sparkflows emulator (stand-in for Sparkflows) on http://127.0.0.1:$sparkflows_port, sparkflows:8080 in the lab"
            return
        fi
        sleep 0.2
    done
    echo "ERROR: the Sparkflows emulator did not answer on 127.0.0.1:$sparkflows_port ($(docker inspect -f \
        'restarts {{.RestartCount}}, exit code {{.State.ExitCode}}, OOM-killed {{.State.OOMKilled}}' "$container" 2>&1)): $(docker logs --tail 5 "$container" 2>&1)" >&2
    return 1
}

start_registry() {
    SFMLOPS_REGISTRY_STATE="$state/registry" SFMLOPS_REGISTRY_NAME="$lab-registry" SFMLOPS_REGISTRY_CA="$state/ca" \
        SFMLOPS_REGISTRY_PORT="${SFMLOPS_LAB_REGISTRY_PORT:-15050}" "$root/tests/lab/registry.sh" up
    SFMLOPS_REGISTRY_STATE="$state/registry" SFMLOPS_REGISTRY_NAME="$lab-registry" \
        "$root/tests/lab/registry.sh" connect "$network"
}

start_s3() {
    # The lab's S3: moto's server (a stand-in for AWS S3 or an S3-compatible store), s3:9000 in
    # the lab, mlflow1's artifact store. It runs the controller's own moto (.venv) on bookworm's
    # Python 3.11, the controller's, whatever the lab's suite (on trixie's 3.13 moto answers 500),
    # and keeps its data in memory: a new container is set up anew.
    local container="$lab-s3" site settings="sfmlops/debian:bookworm $state -p 127.0.0.1:$s3_port:9000"
    if [ -s "$state/s3/access-key" ] && running_as "$container" "$settings"; then
        log "$container running"
        return
    fi
    docker rm -f "$container" >/dev/null 2>&1 || true
    site=$("$root/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    docker run -d --name "$container" --hostname s3 --network "$network" --network-alias s3 \
        --label "$label" --label "sfmlops.lab.settings=$settings" -p "127.0.0.1:$s3_port:9000" -v "$site:/opt/site:ro" -e PYTHONPATH=/opt/site \
        -e AWS_DEFAULT_REGION=us-east-1 sfmlops/debian:bookworm \
        python3 -c 'import sys; from moto.server import main; sys.exit(main(["-H", "0.0.0.0", "-p", "9000"]))' >/dev/null
    "$root/.venv/bin/python" "$root/tests/lab/s3-setup.py" "http://127.0.0.1:$s3_port" "$state" mlflow-artifacts
    log "S3 (moto, a stand-in) on http://127.0.0.1:$s3_port, s3:9000 in the lab: bucket mlflow-artifacts"
}

down() {
    docker rm -f -v "$lab-registry" >/dev/null 2>&1 || true
    docker ps -aq --filter "label=$label" | xargs -r docker rm -f -v >/dev/null
    docker network rm "$network" >/dev/null 2>&1 || true
    rm -rf "$state"
    log "lab removed"
}

status() {
    docker ps -a --filter "label=$label" --format 'table {{.Names}}\t{{.Status}}\t{{.Ports}}'
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
