"""mlflow_host refuses bad input before installing anything, each with one clear message.

Only the role's validation runs (--tags mlflow_host_validate, in --check mode as a safety net),
against this machine, so a missed refusal could not install anything here either.
"""

import json
import pathlib
import socket
import subprocess
import sys
import time

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from utils.certificates import make_ca, make_server_certificate, pem_certificate, pem_key
from utils.moto import running_s3
from utils.playbook import REPO_ROOT, run_playbook
from utils.ports import free_port
from utils.postgres import running_cluster

REPO_ROOT_PATH = pathlib.Path(REPO_ROOT)

GOOD = {"mlflow_host_admin_password": "Adm1n-Passw0rd", "mlflow_host_python": sys.executable}


def validate(tmp_path, **role_vars):
    task = {"name": "Apply mlflow_host", "ansible.builtin.include_role": {"name": "sparkflows.mlops.mlflow_host"},
            "vars": dict(GOOD, **dict({"mlflow_host_tracking_port": free_port()}, **role_vars)),
            "tags": ["mlflow_host_validate"]}
    return run_playbook(tmp_path, [task], args=["--check", "--tags", "mlflow_host_validate"])


def failure(run):
    assert run.rc != 0, run.stdout
    failed = [result for result in run.results if result.get("failed")]
    result = failed[-1]  # the one that stopped the play (a rescued one may precede it)
    if "results" in result:  # a loop: the message of the item that failed
        result = [item for item in result["results"] if item.get("failed")][0]
    return " ".join(result["msg"].split())


def test_valid_input_passes_validation(tmp_path):
    run = validate(tmp_path)
    assert run.rc == 0, run.stdout


def test_unknown_profile(tmp_path):
    assert failure(validate(tmp_path, mlflow_host_profile="sparkflows-9x")) == (
        "mlflow_host_profile 'sparkflows-9x' is unknown; known profiles: current, mlflow-2, sparkflows-3x.")


def test_model_port_range_overlapping_the_tracking_port(tmp_path):
    message = failure(validate(tmp_path, mlflow_host_tracking_port=5050))
    assert message == "The served-model port range 5001-5099 overlaps the tracking port 5050 (or is empty)."


def test_missing_admin_password_with_auth_on(tmp_path):
    message = failure(validate(tmp_path, mlflow_host_admin_password=""))
    assert message.startswith("mlflow_host_admin_password is empty but mlflow_host_auth_enabled is true")


def test_unreachable_postgresql(tmp_path):
    port = free_port()
    run = validate(tmp_path, mlflow_host_backend_store_uri="postgresql://mlflow:Pw-0f-Mlflow@127.0.0.1:%d/mlflow" % port)
    message = failure(run)
    assert message == "PostgreSQL at 127.0.0.1:%d does not answer (connection refused)" % port
    assert "Pw-0f-Mlflow" not in run.stdout


@pytest.fixture(scope="module")
def postgresql():
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with running_s3(tmp_path_factory.mktemp("moto")) as server:
        yield server


def db_settings(cluster, **changes):
    settings = {"mlflow_host_db_host": cluster.host, "mlflow_host_db_port": cluster.port, "mlflow_host_db_user": "mlflow",
                "mlflow_host_db_password": cluster.passwords["mlflow"], "mlflow_host_db_name": "mlflow",
                "mlflow_host_db_auth_name": "mlflow_auth"}
    settings.update(changes)
    return settings


def test_postgresql_stores_that_answer_pass(tmp_path, postgresql):
    run = validate(tmp_path, **db_settings(postgresql))
    assert run.rc == 0, run.stdout[-3000:]
    assert postgresql.passwords["mlflow"] not in run.stdout


@pytest.mark.parametrize("changes, expected", [
    ({"mlflow_host_db_password": "Not-The-Password-9"},
     "PostgreSQL at 127.0.0.1:{port} refused user mlflow: password authentication failed (a wrong password, or no such user)"),
    ({"mlflow_host_db_auth_name": "mlflow_users"}, "database mlflow_users does not exist on PostgreSQL at 127.0.0.1:{port}"),
], ids=["wrong-password", "missing-database"])
def test_postgresql_refusals_are_named_before_anything_changes(tmp_path, postgresql, changes, expected):
    run = validate(tmp_path, **db_settings(postgresql, **changes))
    assert failure(run) == expected.format(port=postgresql.port)
    assert "Not-The-Password-9" not in run.stdout and postgresql.passwords["mlflow"] not in run.stdout


def test_one_database_for_both_stores_is_refused(tmp_path, postgresql):
    message = failure(validate(tmp_path, **db_settings(postgresql, mlflow_host_db_auth_name="mlflow")))
    assert "need separate databases" in message and "mlflow_host_db_name and mlflow_host_db_auth_name" in message


def s3_settings(server, **changes):
    key, secret = server.users["mlflow"]
    settings = {"mlflow_host_artifacts_destination": "s3://%s/mlflow" % server.bucket, "mlflow_host_s3_endpoint_url": server.url,
                "mlflow_host_s3_access_key": key, "mlflow_host_s3_secret_key": secret, "mlflow_host_s3_path_style": True}
    settings.update(changes)
    return settings


def test_an_s3_bucket_that_answers_passes(tmp_path, s3):
    run = validate(tmp_path, **s3_settings(s3))
    assert run.rc == 0, run.stdout[-3000:]
    assert s3.users["mlflow"][1] not in run.stdout


@pytest.mark.parametrize("changes, expected", [
    ({"mlflow_host_artifacts_destination": "s3://no-such-bucket/mlflow"}, "S3 bucket no-such-bucket does not exist at {url}"),
    ({"mlflow_host_s3_secret_key": "Wrong-Secret-Key-0000"},
     "S3 at {url} refused the request: the secret key does not match the access key (SignatureDoesNotMatch)"),
    ({"mlflow_host_s3_access_key": "AKIANOSUCHKEY0000000"},
     "S3 at {url} refused the access key (InvalidAccessKeyId): it knows no such access key ID"),
], ids=["missing-bucket", "wrong-secret-key", "wrong-access-key"])
def test_s3_refusals_are_named_before_anything_changes(tmp_path, s3, changes, expected):
    run = validate(tmp_path, **s3_settings(s3, **changes))
    assert failure(run) == expected.format(url=s3.url)
    assert "Wrong-Secret-Key-0000" not in run.stdout and s3.users["mlflow"][1] not in run.stdout


def test_tls_needs_a_certificate_or_a_ca(tmp_path):
    assert failure(validate(tmp_path, mlflow_host_tls_enabled=True)).startswith(
        "mlflow_host_tls_enabled needs mlflow_host_tls_certificate and mlflow_host_tls_private_key")


def test_a_certificate_that_does_not_match_its_key_is_refused(tmp_path):
    ca_key, ca_certificate = make_ca("validation CA")
    _key, certificate = make_server_certificate(ca_key, ca_certificate)
    other_key, _other = make_server_certificate(ca_key, ca_certificate)
    run = validate(tmp_path, mlflow_host_tls_enabled=True, mlflow_host_tls_certificate=pem_certificate(certificate).decode(),
                   mlflow_host_tls_private_key=pem_key(other_key).decode())
    assert failure(run).startswith("mlflow_host_tls_certificate does not match mlflow_host_tls_private_key")
    assert pem_key(other_key).decode().splitlines()[1] not in run.stdout


def test_fire_mlops_port_held_by_another_service_is_refused_naming_it(tmp_path):
    """InfluxDB listens on 8086 too, the Fire MLOps default: the service holding the port is named."""
    influxd = tmp_path / "influxd"  # a process named as InfluxDB's server is
    influxd.symlink_to(sys.executable)
    port = free_port()
    listener = subprocess.Popen([str(influxd), "-c", "import socket, time; s = socket.socket(); "
                                 "s.bind(('127.0.0.1', %d)); s.listen(); time.sleep(120)" % port])
    try:
        for _attempt in range(50):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        message = failure(validate(tmp_path, mlflow_host_fire_mlops_enabled=True, mlflow_host_fire_mlops_port=port,
                                   mlflow_host_fire_mlops_distribution="/dist/fire.tar.gz",
                                   mlflow_host_fire_mlops_exec_start="bin/server"))
    finally:
        listener.kill()
        listener.wait(timeout=10)
    assert message.startswith("Port %d on localhost is taken by another service (process influxd, pid " % port), message
    assert message.endswith("not by fire-mlops.service: free it or choose another port."), message


def test_sparkflows_3x_profile_is_refused_on_this_python(tmp_path):
    version = "%d.%d" % sys.version_info[:2]
    message = failure(validate(tmp_path, mlflow_host_profile="sparkflows-3x", mlflow_host_auth_enabled=False))
    assert message.startswith(
        "Package profile 'sparkflows-3x' needs Python 3.7 to 3.7, but %s on localhost is Python %s."
        % (sys.executable, version))


def test_basic_auth_on_a_profile_without_it(tmp_path):
    message = failure(validate(tmp_path, mlflow_host_profile="sparkflows-3x"))
    assert message.startswith("Package profile 'sparkflows-3x' has no MLflow basic-auth app")


def test_served_models_need_distinct_ports_in_range(tmp_path):
    models = [{"name": "a", "model_uri": "models:/a/1", "port": 5001},
              {"name": "b", "model_uri": "models:/b/1", "port": 5001}]
    assert failure(validate(tmp_path, mlflow_host_served_models=models)).startswith("Served model a: needs")


def test_a_served_models_sample_that_is_no_mapping_is_refused(tmp_path):
    # The role's argument spec owns the rule (type dict).
    models = [{"name": "a", "model_uri": "models:/a/1", "port": 5001, "sample": ["not", "a", "body"]}]
    message = failure(validate(tmp_path, mlflow_host_served_models=models))
    assert "argument 'sample' is of type list found in 'mlflow_host_served_models'" in message, message
    models[0]["sample"] = {"dataframe_split": {"columns": ["x"], "data": [[1]]}}
    assert validate(tmp_path, mlflow_host_served_models=models).rc == 0


def test_unknown_firewall(tmp_path):
    assert failure(validate(tmp_path, mlflow_host_firewall="iptables")) == (
        "Validation of arguments failed: value of mlflow_host_firewall must be one of: none, nftables, firewalld, ufw,"
        " got: iptables")


@pytest.mark.parametrize("settings", [
    {"mlflow_host_firewall": "ufw", "mlflow_host_firewall_sources": ["10.0.0.0/8", "office-lan"]},
    {"mlflow_host_firewall": "nftables", "mlflow_host_nftables_chain": "filter input"},
], ids=["bad-source", "bad-chain"])
def test_firewall_settings(tmp_path, settings):
    assert failure(validate(tmp_path, **settings)).startswith("mlflow_host_firewall_sources must be IP addresses or CIDRs")


def test_port_held_by_another_service(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        message = failure(validate(tmp_path, mlflow_host_tracking_port=port, mlflow_host_model_port_first=port + 1,
                                   mlflow_host_model_port_last=port + 10))
    assert message.startswith("Port %d on localhost is taken by another service" % port)
    assert message.endswith("not by mlflow-tracking.service: free it or choose another port.")


def test_sparkflows_3x_pins_resolve_for_python_3_7(tmp_path):
    """Every pin exists for Python 3.7 (its Requires-Python admits 3.7), and the pins that ship
    wheels resolve together with their dependencies for CPython 3.7 on manylinux."""
    defaults = yaml.safe_load((REPO_ROOT_PATH / "roles/mlflow_host/defaults/main.yml").read_text())
    pins = defaults["mlflow_host_profiles"]["sparkflows-3x"]["packages"]
    for pin in pins:
        name, version = pin.split("==")
        listing = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name, "--python-version", "3.7"],
                                 capture_output=True, text=True, timeout=300, check=False).stdout
        available = listing.split("Available versions:")[1].split("\n")[0] if "Available versions:" in listing else ""
        assert version in [v.strip() for v in available.split(",")], "%s has no release %s for Python 3.7" % (name, version)
    sdist_only = ("h2o-pysparkling-3.2", "pyspark")  # published as source only: no wheel to resolve
    wheels = [pin for pin in pins if pin.split("==")[0] not in sdist_only]
    resolved = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(tmp_path / "py37"), "--python-version", "3.7",
         "--implementation", "cp", "--abi", "cp37m", "--abi", "none", "--abi", "abi3",
         "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64", "--platform", "any",
         "--only-binary=:all:", *wheels],
        capture_output=True, text=True, timeout=600, check=False)
    assert resolved.returncode == 0, resolved.stderr[-2000:]
    assert any(p.name.startswith("mlflow-1.30.1") for p in (tmp_path / "py37").iterdir())


def test_the_guides_unresolvable_pin_is_documented():
    """The README's claim, checked offline against PyPI's release list of h2o-pysparkling-3.2
    (recorded in fixtures/): the guide's pin reads as .post0 under PEP 440 and matches no release,
    and the profile's pin is the release it meant."""
    readme = (REPO_ROOT_PATH / "roles/mlflow_host/README.md").read_text()
    guide_pin = readme.split("The guide pins `")[1].split("`")[0]
    name, guide_version = guide_pin.split("==")
    releases = json.loads((pathlib.Path(__file__).parent / "fixtures" / ("%s-releases.json" % name)).read_text())
    versions = [Version(release) for release in releases["releases"]]
    assert Version(guide_version) == Version(guide_version + "0")  # ".post" is ".post0"
    assert list(SpecifierSet("==" + guide_version).filter(versions)) == []
    defaults = yaml.safe_load((REPO_ROOT_PATH / "roles/mlflow_host/defaults/main.yml").read_text())
    profile_pin = [pin for pin in defaults["mlflow_host_profiles"]["sparkflows-3x"]["packages"]
                   if pin.startswith(name + "==")][0]
    assert list(SpecifierSet(profile_pin[len(name):]).filter(versions)) == [Version(guide_version + "1")]


@pytest.mark.parametrize("fire", [
    {"mlflow_host_fire_mlops_exec_start": "bin/server"},
    {"mlflow_host_fire_mlops_distribution": "fire.tar.gz", "mlflow_host_fire_mlops_exec_start": "bin/server"},
    {"mlflow_host_fire_mlops_distribution": "/dist/fire.tar.gz", "mlflow_host_fire_mlops_exec_start": "bin/server",
     "mlflow_host_fire_mlops_port": 5001},
])
def test_fire_mlops_needs_a_distribution_a_command_and_its_own_port(tmp_path, fire):
    message = failure(validate(tmp_path, mlflow_host_fire_mlops_enabled=True, **fire))
    assert message.startswith("mlflow_host_fire_mlops_enabled needs mlflow_host_fire_mlops_distribution")


def test_booleans_and_numbers_given_as_text(tmp_path):
    """As `-e`, AWX surveys and INI inventories give them: "false" is false (no admin password is
    needed then), "5100" a port."""
    port = free_port()
    run = validate(tmp_path, mlflow_host_auth_enabled="false", mlflow_host_admin_password="",
                   mlflow_host_tracking_port=str(port), mlflow_host_model_port_first=str(port + 1),
                   mlflow_host_model_port_last=str(port + 10), mlflow_host_install_jdk="no")
    assert run.rc == 0, run.stdout[-3000:]


@pytest.mark.parametrize("name, given", [("mlflow_host_auth_enabled", "maybe"), ("mlflow_host_tracking_port", "50o0")])
def test_a_value_that_is_not_a_boolean_or_number_is_refused_by_name(tmp_path, name, given):
    message = failure(validate(tmp_path, **{name: given}))
    assert name in message and given in message, message
