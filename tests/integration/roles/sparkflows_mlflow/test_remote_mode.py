"""playbooks/sparkflows_mlflow.yml in remote mode with real parts: two systemd + sshd lab hosts
(a Sparkflows host and an MLflow host on their own Docker network), a real OpenBao dev server,
a moto Secrets Manager, and the Sparkflows emulator. The key really opens an SSH session from
the Sparkflows host to the MLflow host, and no run shows private key material."""

import json
import os
import subprocess
import time
import urllib.request
import uuid

import boto3
import hvac
import paramiko
import pytest

from emulator.fixtures import ADMIN_TOKEN, start_emulator
from utils.docker import docker, run_systemd_host, wait_for_systemd
from utils.examples import example_tasks
from utils.lab import REPO_ROOT
from utils.module import ssh_keygen
from utils.playbook import failed_messages, recap_changed
from utils.ports import free_port

IMAGE = "sfmlops/lab-host:bookworm"
KEY_PATH = "/home/sparkflows/.ssh/sparkflows_mlflow"
SSH_PATH_KEY = "mlops.mlflow.ssh.key.path"


def wait(predicate, what, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "%s: not within %ds" % (what, seconds)
        time.sleep(0.5)


@pytest.fixture(scope="module")
def lab(request, tmp_path_factory):
    """The Sparkflows host (its service user `sparkflows` as a Sparkflows install has it) and the
    MLflow host (a stand-in tracking port 5000 listening), as inventory hosts sparkflows1 and mlflow1."""
    name = "sfmlops-remote-%s" % uuid.uuid4().hex[:8]
    assert docker("network", "create", name).returncode == 0
    request.addfinalizer(lambda: docker("network", "rm", name))
    containers = {}
    for host in ("sparkflows1", "mlflow1"):
        container = "%s-%s" % (name, host)
        request.addfinalizer(lambda container=container: docker("rm", "-f", "-v", container))
        run_systemd_host(container, IMAGE, "--hostname", host, "--network", name, "--network-alias", host)
        containers[host] = container
    for container in containers.values():  # both boot at once
        wait_for_systemd(container)
    assert docker("exec", containers["sparkflows1"], "useradd", "-m", "-s", "/bin/bash", "sparkflows").returncode == 0
    assert docker("exec", containers["mlflow1"], "systemd-run", "--unit", "tracking-stand-in",
                  "python3", "-m", "http.server", "5000").returncode == 0
    state = tmp_path_factory.mktemp("sparkflows")
    port, process = start_emulator(state / "configurations.json")
    request.addfinalizer(process.kill)
    inventory = state / "hosts.json"
    connection = {"ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}
    inventory.write_text(json.dumps({"all": {"children": {
        "sparkflows": {"hosts": {"sparkflows1": dict(connection, ansible_host=containers["sparkflows1"])}},
        "mlflow": {"hosts": {"mlflow1": dict(connection, ansible_host=containers["mlflow1"])}},
    }, "vars": {
        "sparkflows_api_url": "http://127.0.0.1:%d" % port,
        "sparkflows_api_token": ADMIN_TOKEN,
        "sparkflows_mlflow_tracking_url": "http://mlflow1:5000",
        "sparkflows_mlflow_deploy_mode": "remote",
        # The emulator listens on this machine's loopback: the API is called from here.
        "sparkflows_mlflow_api_delegate_to": "localhost",
    }}}))
    return {"containers": containers, "inventory": inventory, "state_file": state / "configurations.json",
            "work": state, "emulator": "http://127.0.0.1:%d" % port}


def run(lab, *options, verbose=False, inventory=None, deprecations=False, **role_vars):
    extra = lab["work"] / ("vars-%s.json" % uuid.uuid4().hex[:6])
    extra.write_text(json.dumps(role_vars))
    command = ["ansible-playbook", "-i", str(inventory or lab["inventory"]), str(REPO_ROOT / "playbooks" / "sparkflows_mlflow.yml"),
               "-e", "@%s" % extra, "--diff", *options] + (["-vvv"] if verbose else [])
    process = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                             env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                                      ANSIBLE_DEPRECATION_WARNINGS="1" if deprecations else "0"))
    process.changed = recap_changed(process.stdout) if "PLAY RECAP" in process.stdout else None
    return process


def configuration(lab):
    """The emulator's stored configuration, {name: value}."""
    stored = json.loads(lab["state_file"].read_text()) if lab["state_file"].exists() else []
    return dict((entry["name"], entry["value"]) for entry in stored)


def installed_key(lab):
    return docker("exec", lab["containers"]["sparkflows1"], "cat", KEY_PATH).stdout


def ssh_as_sparkflows(lab, key_path=KEY_PATH):
    """OpenSSH itself, as the Sparkflows service user, with strict host key checking."""
    return docker("exec", "-u", "sparkflows", lab["containers"]["sparkflows1"], "ssh", "-i", key_path,
                  "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10",
                  "sparkflows@mlflow1", "hostname", timeout=60)


def marked_keys(lab):
    lines = docker("exec", lab["containers"]["mlflow1"], "cat", "/home/sparkflows/.ssh/authorized_keys").stdout
    return [line for line in lines.splitlines() if line.endswith(" sparkflows-mlflow@sparkflows1")]


def key_body(text):
    """The base64 lines of a private key file: what must never appear in output."""
    lines = [line for line in text.strip().splitlines() if not line.startswith("-----")]
    assert lines
    return lines


def assert_no_key_material(output, text):
    for line in key_body(text):
        assert line[:32] not in output


def fingerprint_of(text):
    from ansible_collections.sparkflows.mlops.plugins.module_utils._ssh.keys import fingerprint, load_private_key
    return fingerprint(load_private_key(text))


def test_generated_key_opens_a_session_then_idempotent_then_rotated(lab):
    first = run(lab, verbose=True)
    assert first.returncode == 0, first.stdout[-3000:]
    key = installed_key(lab)
    assert_no_key_material(first.stdout + first.stderr, key)
    mode = docker("exec", lab["containers"]["sparkflows1"], "stat", "-c", "%a %U", KEY_PATH).stdout.split()
    assert mode == ["600", "sparkflows"]
    session = ssh_as_sparkflows(lab)
    assert session.stdout.strip() == "mlflow1", session.stderr
    stored = configuration(lab)
    assert stored["mlops.mlflow.deploy.mode"] == "remote" and stored[SSH_PATH_KEY] == KEY_PATH
    assert len(marked_keys(lab)) == 1

    second = run(lab)
    assert second.returncode == 0 and second.changed == 0, second.stdout[-3000:]
    # "false" as text, as -e, an AWX survey or an INI inventory gives it: no rotation.
    kept = run(lab, "--check", sparkflows_mlflow_ssh_key_rotate="false")
    assert kept.returncode == 0 and kept.changed == 0, kept.stdout[-3000:]

    # Check mode with a rotation asked: reported, nothing touched.
    before = installed_key(lab), marked_keys(lab), configuration(lab)
    checked = run(lab, "--check", sparkflows_mlflow_ssh_key_rotate=True)
    assert checked.returncode == 0 and checked.changed > 0, checked.stdout[-3000:]
    assert (installed_key(lab), marked_keys(lab), configuration(lab)) == before

    old = lab["work"] / "old_key"
    old.write_text(key)
    copied = docker("cp", str(old), "%s:/tmp/old_key" % lab["containers"]["sparkflows1"])
    assert copied.returncode == 0, copied.stderr
    owned = docker("exec", lab["containers"]["sparkflows1"], "sh", "-c",
                   "chown sparkflows /tmp/old_key && chmod 600 /tmp/old_key")
    assert owned.returncode == 0, owned.stderr
    # The copy is the old key, and it opens a session until the rotation.
    assert ssh_as_sparkflows(lab, "/tmp/old_key").stdout.strip() == "mlflow1"
    rotated = run(lab, sparkflows_mlflow_ssh_key_rotate=True)
    assert rotated.returncode == 0, rotated.stdout[-3000:]
    assert fingerprint_of(installed_key(lab)) != fingerprint_of(key)
    assert len(marked_keys(lab)) == 1
    session = ssh_as_sparkflows(lab)
    assert session.stdout.strip() == "mlflow1", session.stderr
    refused = ssh_as_sparkflows(lab, "/tmp/old_key")
    assert refused.returncode != 0 and "Permission denied" in refused.stderr


def test_a_key_file_on_the_controller_limited_to_the_sparkflows_host(lab):
    source = ssh_keygen(lab["work"] / "from_disk")
    address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                     lab["containers"]["sparkflows1"]).stdout.strip()
    result = run(lab, sparkflows_mlflow_ssh_key_source="file", sparkflows_mlflow_ssh_key_file=source,
                 sparkflows_mlflow_ssh_from=[address])
    assert result.returncode == 0, result.stdout[-3000:]
    text = open(source).read()
    assert fingerprint_of(installed_key(lab)) == fingerprint_of(text)
    assert_no_key_material(result.stdout + result.stderr, text)
    assert [line.split()[0] for line in marked_keys(lab)] == ['from="%s"' % address]
    session = ssh_as_sparkflows(lab)
    assert session.stdout.strip() == "mlflow1", session.stderr


def test_a_key_file_already_on_the_sparkflows_host(lab):
    source = ssh_keygen(lab["work"] / "on_host", key_type="ecdsa")
    copied = docker("cp", source, "%s:/root/mlflow_key" % lab["containers"]["sparkflows1"])
    assert copied.returncode == 0, copied.stderr
    result = run(lab, sparkflows_mlflow_ssh_key_source="file", sparkflows_mlflow_ssh_key_file="/root/mlflow_key",
                 sparkflows_mlflow_ssh_key_file_on_host=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert fingerprint_of(installed_key(lab)) == fingerprint_of(open(source).read())
    assert [line.split()[0] for line in marked_keys(lab)] == ["ecdsa-sha2-nistp256"]
    session = ssh_as_sparkflows(lab)
    assert session.stdout.strip() == "mlflow1", session.stderr


@pytest.fixture(scope="module")
def openbao(request, tmp_path_factory):
    """A real OpenBao dev server on loopback with the key at secret/sparkflows/mlflow-ssh."""
    port = free_port()
    log = tmp_path_factory.mktemp("openbao") / "bao.log"
    process = subprocess.Popen([os.path.join(os.path.dirname(os.sys.executable), "bao"), "server", "-dev",
                                "-dev-root-token-id=root-token", "-dev-listen-address=127.0.0.1:%d" % port],
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    request.addfinalizer(process.kill)
    url = "http://127.0.0.1:%d" % port
    client = hvac.Client(url=url, token="root-token")

    def ready():
        try:
            return client.sys.is_initialized() and not client.sys.is_sealed()
        except Exception:  # not listening yet
            return False

    wait(ready, "OpenBao dev server (%s)" % log, 30)
    client.sys.enable_auth_method("approle")
    client.sys.create_or_update_policy("sparkflows-ssh", 'path "secret/data/sparkflows/*" { capabilities = ["read"] }')
    client.auth.approle.create_or_update_approle("sparkflows", token_policies=["sparkflows-ssh"])
    role_id = client.auth.approle.read_role_id("sparkflows")["data"]["role_id"]
    secret_id = client.auth.approle.generate_secret_id("sparkflows")["data"]["secret_id"]
    return {"url": url, "client": client, "role_id": role_id, "secret_id": secret_id}


def vault_key(openbao, lab, path, text):
    openbao["client"].secrets.kv.v2.create_or_update_secret(path=path, secret={"private_key": text})
    return text


def test_hashi_vault_token_and_approle(lab, openbao):
    text = vault_key(openbao, lab, "sparkflows/mlflow-ssh", open(ssh_keygen(lab["work"] / "vaulted")).read())
    common = dict(sparkflows_mlflow_ssh_key_source="hashi_vault", sparkflows_mlflow_vault_url=openbao["url"],
                  sparkflows_mlflow_vault_path="sparkflows/mlflow-ssh")
    with_token = run(lab, verbose=True, sparkflows_mlflow_vault_token="root-token", **common)
    assert with_token.returncode == 0, with_token.stdout[-3000:]
    assert_no_key_material(with_token.stdout + with_token.stderr, text)
    assert "root-token" not in with_token.stdout + with_token.stderr
    assert fingerprint_of(installed_key(lab)) == fingerprint_of(text)
    session = ssh_as_sparkflows(lab)
    assert session.stdout.strip() == "mlflow1", session.stderr
    # The same key through AppRole: nothing to change.
    with_approle = run(lab, verbose=True, sparkflows_mlflow_vault_auth_method="approle", sparkflows_mlflow_vault_role_id=openbao["role_id"],
                       sparkflows_mlflow_vault_secret_id=openbao["secret_id"], **common)
    assert with_approle.returncode == 0 and with_approle.changed == 0, with_approle.stdout[-3000:]
    assert openbao["secret_id"] not in with_approle.stdout + with_approle.stderr


@pytest.fixture(scope="module")
def secrets_manager(request, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    process = subprocess.Popen([os.path.join(os.path.dirname(os.sys.executable), "moto_server"), "-H", "127.0.0.1",
                                "-p", str(port)], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    request.addfinalizer(process.kill)
    url = "http://127.0.0.1:%d" % port
    client = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=url,
                          aws_access_key_id="testing", aws_secret_access_key="testing")

    def ready():
        try:
            client.list_secrets()
            return True
        except Exception:  # not listening yet
            return False

    wait(ready, "moto server (%s)" % log, 30)
    return {"url": url, "client": client}


def test_aws_secrets_manager_rotates_the_vault_key_away(lab, secrets_manager):
    text = open(ssh_keygen(lab["work"] / "aws", key_type="rsa")).read()
    secrets_manager["client"].create_secret(Name="sparkflows/mlflow-ssh", SecretString=json.dumps({"key": text}))
    result = run(lab, verbose=True, sparkflows_mlflow_ssh_key_source="aws_secretsmanager",
                 sparkflows_mlflow_aws_secret="sparkflows/mlflow-ssh", sparkflows_mlflow_aws_secret_field="key",
                 sparkflows_mlflow_aws_region="eu-west-1", sparkflows_mlflow_aws_endpoint_url=secrets_manager["url"],
                 sparkflows_mlflow_aws_access_key="testing", sparkflows_mlflow_aws_secret_key="testing")
    assert result.returncode == 0, result.stdout[-3000:]
    assert_no_key_material(result.stdout + result.stderr, text)
    assert fingerprint_of(installed_key(lab)) == fingerprint_of(text)
    assert len(marked_keys(lab)) == 1 and marked_keys(lab)[0].startswith("ssh-rsa ")
    session = ssh_as_sparkflows(lab)
    assert session.stdout.strip() == "mlflow1", session.stderr


def other_host_key(lab):
    key = paramiko.Ed25519Key.from_private_key_file(ssh_keygen(lab["work"] / ("impostor-%s" % uuid.uuid4().hex[:6])))
    return "%s %s" % (key.get_name(), key.get_base64())


@pytest.mark.parametrize("case", ["vault path missing", "wrong vault token", "not a private key in the vault",
                                  "MLflow host unreachable on its SSH port", "host key mismatch"])
def test_bad_input_is_a_clear_error_and_the_configuration_stays(lab, openbao, case):
    vault = dict(sparkflows_mlflow_ssh_key_source="hashi_vault", sparkflows_mlflow_vault_url=openbao["url"],
                 sparkflows_mlflow_vault_path="sparkflows/mlflow-ssh", sparkflows_mlflow_vault_token="root-token")
    given, expected = {
        "vault path missing": (dict(vault, sparkflows_mlflow_vault_path="sparkflows/nothing-here"), "sparkflows/nothing-here"),
        "wrong vault token": (dict(vault, sparkflows_mlflow_vault_token="not-the-token"), "permission denied"),
        "not a private key in the vault": (dict(vault, sparkflows_mlflow_vault_path="sparkflows/garbage"),
                                           "not a valid SSH private key"),
        "MLflow host unreachable on its SSH port": (dict(sparkflows_mlflow_ssh_port=2222), "cannot reach mlflow1:2222"),
        "host key mismatch": (dict(sparkflows_mlflow_ssh_host_key=other_host_key(lab)), "host key mismatch for mlflow1:22"),
    }[case]
    openbao["client"].secrets.kv.v2.create_or_update_secret(path="sparkflows/garbage",
                                                            secret={"private_key": "-----BEGIN NOTHING-----\nx\n"})
    before_config, before_key = configuration(lab), installed_key(lab)
    before_authorized = marked_keys(lab)
    result = run(lab, **given)
    assert result.returncode != 0
    # In the message of the task that stopped the run, not merely somewhere in the output.
    messages = failed_messages(result.stdout)
    assert messages and expected.lower() in messages[-1].lower(), (messages, result.stdout[-3000:])
    assert configuration(lab) == before_config
    assert installed_key(lab) == before_key and marked_keys(lab) == before_authorized


def test_fire_mlops_server_mode_checks_8086_from_the_sparkflows_host(lab):
    before = configuration(lab)
    mode = dict(sparkflows_mlflow_deploy_mode="fire_mlops_server", sparkflows_mlflow_fire_mlops_host="mlflow1",
                sparkflows_mlflow_reachability_timeout=3)
    closed = run(lab, **mode)
    assert closed.returncode != 0
    assert failed_messages(closed.stdout)[-1].startswith(
        "sparkflows1 cannot reach the Fire MLOps server on mlflow1:8086"), closed.stdout[-3000:]
    assert configuration(lab) == before

    assert docker("exec", lab["containers"]["mlflow1"], "systemd-run", "--unit", "fire-mlops-stand-in",
                  "python3", "-m", "http.server", "8086").returncode == 0
    wait(lambda: docker("exec", lab["containers"]["mlflow1"], "python3", "-c",
                        "import socket; socket.create_connection(('127.0.0.1', 8086), 2)").returncode == 0,
         "the Fire MLOps stand-in", 30)
    opened = run(lab, **mode)
    assert opened.returncode == 0, opened.stdout[-3000:]
    stored = configuration(lab)
    assert (stored["mlops.mlflow.deploy.mode"], stored["mlops.fire.mlops.host"], stored["mlops.fire.mlops.port"]) \
        == ("fire_mlops_server", "mlflow1", "8086")


def test_local_mode_shows_its_diff_and_never_the_password(lab):
    """Local mode (MLflow on the Sparkflows host: no SSH, no reachability of another host), with
    --diff at -vvv: the changed keys are shown, the MLflow password and the API token never."""
    password = "Mlflow-Passw0rd-%s" % uuid.uuid4().hex[:8]
    local = dict(sparkflows_mlflow_deploy_mode="local", sparkflows_mlflow_username="mlflow",
                 sparkflows_mlflow_password=password)
    first = run(lab, verbose=True, **local)
    assert first.returncode == 0, first.stdout[-3000:]
    stored = configuration(lab)
    assert (stored["mlops.mlflow.deploy.mode"], stored["mlops.mlflow.password"]) == ("local", password)
    output = first.stdout + first.stderr
    assert password not in output and ADMIN_TOKEN not in output
    after = "\n".join(part.split("PLAY RECAP")[0] for part in first.stdout.split("+++ after")[1:])
    added = [line for line in after.splitlines() if line.startswith("+")]
    assert any('"mlops.mlflow.deploy.mode": "local"' in line for line in added), after[:3000]
    assert any('"mlops.mlflow.password": "********' in line for line in added), after[:3000]
    # The emulator shows the stored password masked: only on_create can leave it alone.
    again = run(lab, sparkflows_mlflow_update_password="on_create", **local)
    assert again.returncode == 0 and again.changed == 0, again.stdout[-3000:]
    # A run that changes a setting without giving the password cannot write the whole set back
    # over the masked one: refused before anything is written, naming it and the way out; with
    # sparkflows_mlflow_write_scope=changed_entries only its change is written.
    before = configuration(lab)
    setting = dict(sparkflows_mlflow_deploy_mode="local", sparkflows_mlflow_settings={"mlops.models.state.values": "Dev,Prod"})
    refused = run(lab, **setting)
    assert refused.returncode != 0
    assert ("Sparkflows showed mlops.mlflow.password masked" in refused.stdout
            and "set write_scope: changed_entries" in refused.stdout), refused.stdout[-3000:]
    assert configuration(lab) == before
    written = run(lab, sparkflows_mlflow_write_scope="changed_entries", **setting)
    assert written.returncode == 0 and written.changed == 1, written.stdout[-3000:]
    assert configuration(lab) == dict(before, **{"mlops.models.state.values": "Dev,Prod"})
    # The tests after this one start, as before it, from a set without a stored password.
    request = urllib.request.Request(lab["emulator"] + "/_emulator/configurations", method="POST",
                                     data=json.dumps({"mlops.mlflow.password": ""}).encode())
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_the_roles_deprecated_connection_variables_in_the_inventory_still_win(lab):
    """sparkflows_mlflow_api_url (deprecated: the one connection is sparkflows_api_url) in the
    inventory still wins over sparkflows_api_url, with a deprecation warning, and the banner
    names the URL used (the playbook once overrode it with play vars)."""
    inventory = json.loads(lab["inventory"].read_text())
    group_vars = inventory["all"]["vars"]
    group_vars["sparkflows_mlflow_api_url"] = group_vars["sparkflows_api_url"]
    group_vars["sparkflows_api_url"] = "http://127.0.0.1:%d" % free_port()  # nothing listens there
    own = lab["work"] / "own-connection.json"
    own.write_text(json.dumps(inventory))
    result = run(lab, "--check", inventory=own, deprecations=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "at %s" % group_vars["sparkflows_mlflow_api_url"] in result.stdout
    assert "sparkflows_mlflow_api_url is deprecated: set sparkflows_api_url" in " ".join((result.stdout + result.stderr).split())


def test_ssh_module_examples_run_as_written(lab, openbao, tmp_path):
    """The EXAMPLES of ssh_private_key and ssh_check on the lab hosts: the inventory calls mlflow1
    mlflow.example.net (the name the examples delegate to), the key comes from OpenBao through the
    community.hashi_vault lookup as written; only the SSH address (the Docker network's name) and
    the command (no MLflow on this host) are ours."""
    sparkflows1, mlflow1 = lab["containers"]["sparkflows1"], lab["containers"]["mlflow1"]
    # The role brings what the modules need on the hosts (paramiko, cryptography), as in a real install.
    prepared = run(lab)
    assert prepared.returncode == 0, prepared.stdout[-3000:]
    text = vault_key(openbao, lab, "sparkflows/mlflow-ssh", open(ssh_keygen(tmp_path / "example")).read())
    assert docker("exec", mlflow1, "sh", "-c", "id sparkflows || useradd -m -s /bin/bash sparkflows").returncode == 0
    # The MLflow host's key, where each example reads it: a known_hosts file, and a file beside the playbook.
    host_key = docker("exec", mlflow1, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").stdout.strip()
    (tmp_path / "host_keys").mkdir()
    (tmp_path / "host_keys" / "mlflow.example.net.pub").write_text(host_key + "\n")
    known = docker("exec", sparkflows1, "sh", "-c", "install -d -o sparkflows -g sparkflows -m 700 /home/sparkflows/.ssh"
                   " && echo 'mlflow1 %s' > /home/sparkflows/.ssh/known_hosts" % " ".join(host_key.split()[:2]))
    assert known.returncode == 0, known.stderr

    tasks = example_tasks("sparkflows.mlops.ssh_private_key", {}) + example_tasks(
        "sparkflows.mlops.ssh_check", {"host: mlflow.example.net": "host: mlflow1", "command: mlflow --version": "command: hostname"})
    inventory = json.loads(lab["inventory"].read_text())
    inventory["all"]["children"]["mlflow"]["hosts"] = {"mlflow.example.net": inventory["all"]["children"]["mlflow"]["hosts"]["mlflow1"]}
    (tmp_path / "hosts.json").write_text(json.dumps(inventory))
    (tmp_path / "examples.yml").write_text(json.dumps([{"name": "EXAMPLES", "hosts": "sparkflows1", "gather_facts": False,
                                                        "tasks": tasks}]))
    ran = subprocess.run(["ansible-playbook", "-i", str(tmp_path / "hosts.json"), str(tmp_path / "examples.yml"), "-v"],
                         capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
                         env=dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                                  ANSIBLE_HASHI_VAULT_ADDR=openbao["url"], ANSIBLE_HASHI_VAULT_TOKEN="root-token"))
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert "ok=4" in ran.stdout.split("PLAY RECAP")[-1], ran.stdout[-3000:]
    assert_no_key_material(ran.stdout + ran.stderr, text)
    assert docker("exec", sparkflows1, "stat", "-c", "%a %U", "/home/sparkflows/.ssh/sparkflows_mlflow").stdout.split() \
        == ["600", "sparkflows"]
    assert ssh_as_sparkflows(lab, "/home/sparkflows/.ssh/sparkflows_mlflow").stdout.strip() == "mlflow1"
