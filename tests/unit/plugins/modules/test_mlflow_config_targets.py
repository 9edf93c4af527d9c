"""mlflow_config's S3 registry store and deployment targets (Kubeflow, SageMaker): the key table,
the per-target checks (exact messages, nothing sent, in check mode too), and the new secrets
(S3 access and secret keys, the Kubeflow password) masked in results, diffs and the logged
arguments, and never written back from a mask - the module run as Ansible runs it, against the
emulator (which shows secrets masked)."""

import json
import urllib.request

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.masking import MASK, is_secret
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.mlflow_config import (
    DEFAULT_KEY_MAP,
    desired_values,
    diff_of,
    key_map,
    masks_given,
    option_values,
    plan,
    secret_keys_of,
    shown,
    validate,
)
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import SparkflowsError
from emulator.fixtures import ADMIN_TOKEN, seed_configurations
from emulator.sparkflows_emulator import VARIANTS
from utils.module import run_module
from utils.playbook import run_playbook

S3_ACCESS = "Acc3ss-Key-Id-5501"
S3_SECRET = "S3cret-Access-Key-5502"
KF_PASSWORD = "Kub3flow-Passw0rd-5503"
SECRET_VALUES = (S3_ACCESS, S3_SECRET, KF_PASSWORD)
KUBEFLOW = {
    "namespace": "sparkflows", "docker_registry": "10.102.54.230:5000", "docker_context_path": "/usr/local/mlops",
    "fire_server_jar_name": "fire-spark_3.2.1-server-3.1.0-jar-with-dependencies.jar", "container_port": 5000,
    "service_port": 80, "service_target_port": 5000,
}
SAGEMAKER = {"region": "us-east-1", "aws_id": "012345678901", "arn": "arn:aws:iam::012345678901:role/sagemaker-exec"}
S3 = {"s3_access_key": S3_ACCESS, "s3_secret_key": S3_SECRET, "s3_endpoint_url": "10.2.0.10:9000",
      "s3_ignore_tls": True}
S3_KEYS = {"mlops.aws.s3.access.key": S3_ACCESS, "mlops.aws.s3.secret.key": S3_SECRET,
           "mlops.aws.s3.endpoint.url": "10.2.0.10:9000", "mlops.aws.s3.ignore.tls": "true"}
KUBEFLOW_KEYS = {
    "mlops.target.deployment": "kubeflow", "mlops.kubeflow.namespace": "sparkflows",
    "mlops.docker.registry.sparkflows": "10.102.54.230:5000", "mlops.docker.context.path": "/usr/local/mlops",
    "mlops.fire.server.jar.name": "fire-spark_3.2.1-server-3.1.0-jar-with-dependencies.jar",
    "mlops.deployment.container.port": "5000", "mlops.service.port": "80", "mlops.service.target.port": "5000",
}


def params(**given):
    """The module's parameters as Ansible hands them over (suboptions filled with None)."""
    base = dict(state="present", settings={}, secret_settings=[], key_map={}, update_password="always",
                write_scope="whole_set", tracking_url=None, username=None, password=None, deploy_mode=None,
                fire_mlops_host=None, fire_mlops_port=None, ssh_key_path=None, s3_access_key=None,
                s3_secret_key=None, s3_endpoint_url=None, s3_ignore_tls=None, deployment_target="none",
                kubeflow=None, sagemaker=None)
    for name in ("kubeflow", "sagemaker"):
        if given.get(name) is not None:
            spec = KUBEFLOW_OPTIONS if name == "kubeflow" else ("region", "aws_id", "arn")
            given[name] = dict(dict((option, None) for option in spec), **given[name])
    base.update(given)
    return base


KUBEFLOW_OPTIONS = ("username", "password", "namespace", "config_path", "hostport", "docker_registry",
                    "docker_context_path", "fire_server_jar_name", "container_port", "service_port",
                    "service_target_port", "timeout", "kubernetes_config_path", "kubernetes_images_namespace")


# -- the key table ------------------------------------------------------------------------

def test_the_documented_keys_of_the_s3_store_and_the_targets():
    expected = {
        "s3_access_key": "mlops.aws.s3.access.key", "s3_secret_key": "mlops.aws.s3.secret.key",
        "s3_endpoint_url": "mlops.aws.s3.endpoint.url", "s3_ignore_tls": "mlops.aws.s3.ignore.tls",
        "deployment_target": "mlops.target.deployment",
        "kubeflow_username": "mlops.kubeflow.username", "kubeflow_password": "mlops.kubeflow.password",
        "kubeflow_namespace": "mlops.kubeflow.namespace", "kubeflow_config_path": "mlops.kubeflow.config.path",
        "kubeflow_hostport": "mlops.kubeflow.hostport", "kubeflow_docker_registry": "mlops.docker.registry.sparkflows",
        "kubeflow_docker_context_path": "mlops.docker.context.path",
        "kubeflow_fire_server_jar_name": "mlops.fire.server.jar.name",
        "kubeflow_container_port": "mlops.deployment.container.port", "kubeflow_service_port": "mlops.service.port",
        "kubeflow_service_target_port": "mlops.service.target.port", "kubeflow_timeout": "mlops.timeout",
        "kubeflow_kubernetes_config_path": "mlops.kubernetes.config.path",
        "kubeflow_kubernetes_images_namespace": "mlops.kubernetes.images.namespace",
        "sagemaker_region": "mlops.region", "sagemaker_aws_id": "mlops.aws_id", "sagemaker_arn": "mlops.arn",
    }
    assert dict((option, DEFAULT_KEY_MAP[option]) for option in expected) == expected
    # Every suboption of kubeflow has its entry.
    assert set("kubeflow_" + name for name in KUBEFLOW_OPTIONS) <= set(DEFAULT_KEY_MAP)


def test_s3_and_kubeflow_are_written_under_their_keys_ignore_tls_as_text():
    desired = desired_values(params(deployment_target="kubeflow", kubeflow=KUBEFLOW, **S3), DEFAULT_KEY_MAP)
    assert desired == dict(S3_KEYS, **KUBEFLOW_KEYS)
    assert desired_values(params(s3_ignore_tls=False), DEFAULT_KEY_MAP) == {"mlops.aws.s3.ignore.tls": "false"}


def test_sagemaker_is_written_under_its_keys():
    assert desired_values(params(deployment_target="sagemaker", sagemaker=SAGEMAKER), DEFAULT_KEY_MAP) == {
        "mlops.target.deployment": "sagemaker", "mlops.region": "us-east-1", "mlops.aws_id": "012345678901",
        "mlops.arn": "arn:aws:iam::012345678901:role/sagemaker-exec"}


def test_target_none_writes_nothing_about_targets():
    assert option_values(params())["deployment_target"] is None
    assert desired_values(params(tracking_url="http://m:5000"), DEFAULT_KEY_MAP) == {
        "mlops.mlflow.trackingURL": "http://m:5000"}


def test_an_empty_suboption_is_written_empty_and_an_unset_one_not_at_all():
    desired = desired_values(params(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, username="")),
                             DEFAULT_KEY_MAP)
    assert desired["mlops.kubeflow.username"] == ""
    assert "mlops.kubeflow.password" not in desired and "mlops.timeout" not in desired


def test_key_map_renames_a_target_key_and_its_secret_stays_secret():
    mapping = key_map({"kubeflow_password": "mlops.kf.pw", "sagemaker_arn": "mlops.sagemaker.role"}, DEFAULT_KEY_MAP)
    desired = desired_values(params(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, password="p")), mapping)
    assert desired["mlops.kf.pw"] == "p" and "mlops.kubeflow.password" not in desired
    assert mapping["sagemaker_arn"] == "mlops.sagemaker.role"
    secrets = secret_keys_of(params(), mapping)
    assert {"mlops.kf.pw", "mlops.aws.s3.access.key", "mlops.aws.s3.secret.key"} <= secrets
    assert shown("mlops.kf.pw", "p", secrets) == MASK
    with pytest.raises(SparkflowsError, match="key_map has unknown option names kubeflow.namespace; known: "):
        key_map({"kubeflow.namespace": "x"})


def test_absent_empties_the_s3_and_target_keys_too():
    desired = desired_values(params(state="absent"), DEFAULT_KEY_MAP)
    assert set(S3_KEYS) | set(KUBEFLOW_KEYS) | {"mlops.region", "mlops.aws_id", "mlops.arn"} <= set(desired)
    assert set(desired.values()) == {""}


def test_the_new_secrets_are_secret_by_name():
    for name in ("mlops.aws.s3.secret.key", "mlops.aws.s3.access.key", "mlops.kubeflow.password",
                 "s3_access_key", "s3_secret_key", "kubeflow_password"):
        assert is_secret(name), name
    assert not is_secret("mlops.aws.s3.endpoint.url") and not is_secret("s3_endpoint_url")


def test_the_new_secrets_are_under_update_password():
    secrets = secret_keys_of(params(), DEFAULT_KEY_MAP)
    stored = {"mlops.aws.s3.secret.key": "********", "mlops.kubeflow.password": "old", "mlops.aws.s3.access.key": ""}
    desired = {"mlops.aws.s3.secret.key": "new", "mlops.kubeflow.password": "new", "mlops.aws.s3.access.key": "new"}
    assert plan(stored, desired, secrets, "on_create") == {"mlops.aws.s3.access.key": "new"}
    assert plan(stored, desired, secrets, "always") == desired


def test_the_diff_masks_the_new_secrets():
    secrets = secret_keys_of(params(), DEFAULT_KEY_MAP)
    current = {"mlops.aws.s3.secret.key": "old-one", "mlops.kubeflow.password": ""}
    desired = {"mlops.aws.s3.secret.key": "new-one", "mlops.kubeflow.password": "kf", "mlops.aws.s3.access.key": "a"}
    diff = diff_of(current, desired, plan(current, desired, secrets, "always"), secrets)
    assert diff == {
        "before": {"mlops.aws.s3.access.key": "", "mlops.aws.s3.secret.key": MASK, "mlops.kubeflow.password": ""},
        "after": {"mlops.aws.s3.access.key": MASK, "mlops.aws.s3.secret.key": MASK + " (changed)",
                  "mlops.kubeflow.password": MASK},
    }


def test_a_secret_given_as_a_mask_is_found():
    secrets = secret_keys_of(params(), DEFAULT_KEY_MAP)
    desired = {"mlops.aws.s3.secret.key": "********", "mlops.kubeflow.password": "[PROTECTED]",
               "mlops.aws.s3.access.key": "****1234", "mlops.aws.s3.endpoint.url": "********",
               "mlops.mlflow.password": "a real one"}
    assert masks_given(desired, secrets) == ["mlops.aws.s3.access.key", "mlops.aws.s3.secret.key",
                                             "mlops.kubeflow.password"]


# -- per target: what each needs, another target's options refused -------------------------

PORTS = dict(KUBEFLOW)


@pytest.mark.parametrize("given, message", [
    (dict(kubeflow={"namespace": "ns", "service_port": 80}),
     "deployment_target is none, so the options of kubeflow are refused: kubeflow.namespace, kubeflow.service_port. "
     "Set deployment_target to the target they configure, or remove them"),
    (dict(kubeflow={"username": ""}, sagemaker={"arn": "arn:aws:iam::012345678901:role/x"}),
     "deployment_target is none, so the options of kubeflow and sagemaker are refused: kubeflow.username, "
     "sagemaker.arn. Set deployment_target to the target they configure, or remove them"),
    (dict(deployment_target="kubeflow", kubeflow=KUBEFLOW, sagemaker={"region": "us-east-1", "aws_id": "1"}),
     "deployment_target is kubeflow, so the options of sagemaker are refused: sagemaker.region, sagemaker.aws_id. "
     "Set deployment_target to the target they configure, or remove them"),
    (dict(deployment_target="sagemaker", sagemaker=SAGEMAKER, kubeflow={"password": "x"}),
     "deployment_target is sagemaker, so the options of kubeflow are refused: kubeflow.password. "
     "Set deployment_target to the target they configure, or remove them"),
    (dict(deployment_target="kubeflow"),
     "deployment_target is kubeflow but these options are missing: kubeflow.namespace, kubeflow.docker_registry, "
     "kubeflow.docker_context_path, kubeflow.fire_server_jar_name, kubeflow.container_port, kubeflow.service_port, "
     "kubeflow.service_target_port"),
    (dict(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, namespace="", service_port=None)),
     "deployment_target is kubeflow but these options are missing: kubeflow.namespace, kubeflow.service_port"),
    (dict(deployment_target="sagemaker", sagemaker={"region": "us-east-1"}),
     "deployment_target is sagemaker but these options are missing: sagemaker.aws_id, sagemaker.arn"),
    (dict(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, container_port=0)),
     "kubeflow.container_port must be between 1 and 65535, got 0"),
    (dict(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, service_target_port=65536)),
     "kubeflow.service_target_port must be between 1 and 65535, got 65536"),
    (dict(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, timeout=0)),
     "kubeflow.timeout must be at least 1, got 0"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, aws_id="12345678901")),
     "sagemaker.aws_id must be the 12 digits of an AWS account id, got '12345678901' (quote it in YAML, or a "
     "leading zero is lost)"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, aws_id="01234567890a")),
     "sagemaker.aws_id must be the 12 digits of an AWS account id, got '01234567890a'"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, arn="arn:aws:iam::1234:role/x")),
     "sagemaker.arn must be an ARN, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE such as "
     "arn:aws:iam::123456789012:role/NAME, got 'arn:aws:iam::1234:role/x'"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, arn="role/sagemaker-exec")),
     "sagemaker.arn must be an ARN"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, region="US East")),
     "sagemaker.region must be an AWS region such as us-east-1, got 'US East'"),
])
def test_a_target_is_checked_before_anything_is_sent(given, message):
    with pytest.raises(SparkflowsError) as refused:
        validate(params(**given))
    assert str(refused.value).startswith(message), str(refused.value)


@pytest.mark.parametrize("arn", [
    "arn:aws:iam::012345678901:role/sagemaker-exec", "arn:aws:iam::012345678901:role/service-role/Exec-Role",
    "arn:aws-cn:iam::012345678901:role/x", "arn:aws-us-gov:iam::012345678901:role/x",
    "arn:aws:sagemaker:eu-west-1:012345678901:endpoint/churn",
])
def test_arns_of_every_partition_and_service_are_taken(arn):
    validate(params(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, arn=arn)))


def test_a_complete_target_passes_and_optional_kubeflow_options_stay_optional():
    validate(params(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, timeout=300, hostport="kf:443")))
    validate(params(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, region="us-gov-west-1")))
    validate(params(deployment_target="sagemaker", sagemaker=SAGEMAKER, kubeflow={}))


# -- the module, run as Ansible runs it, against the emulator -------------------------------

def stored(server):
    """What the emulator stores, secrets in clear (its GET shows them masked)."""
    with urllib.request.urlopen(server.url + "/_emulator/configurations", timeout=10) as answer:
        return json.loads(answer.read())


def shown_by_get(server):
    request = urllib.request.Request(server.url + "/api/v1/configurations", headers={"token": ADMIN_TOKEN})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict((entry["name"], entry["value"]) for entry in json.loads(answer.read()))


def module(server, tmp_path, check=False, diff=True, **options):
    args = dict(api_url=server.url, api_token=ADMIN_TOKEN, _ansible_check_mode=check, _ansible_diff=diff, **options)
    return run_module("mlflow_config", tmp_path, **args)


def assert_no_secret(result):
    text = json.dumps(result)
    for value in SECRET_VALUES:
        assert value not in text, "a secret value is shown"


def posts(server):
    return [r for r in server.requests() if r["method"] == "POST"]


def test_the_emulator_keeps_every_new_key_and_masks_the_new_secrets_on_get(emulator):
    emulator.control("variant", {"unknown_keys": "drop"})
    values = dict(S3_KEYS, **dict(KUBEFLOW_KEYS, **{
        "mlops.kubeflow.password": KF_PASSWORD, "mlops.kubeflow.username": "kf", "mlops.kubeflow.config.path": "/c",
        "mlops.kubeflow.hostport": "kf:443", "mlops.timeout": "300", "mlops.kubernetes.config.path": "/k",
        "mlops.kubernetes.images.namespace": "img", "mlops.region": "us-east-1", "mlops.aws_id": "012345678901",
        "mlops.arn": SAGEMAKER["arn"]}))
    seed_configurations(emulator, values)
    assert stored(emulator) == values  # none dropped: the emulator defines them all
    got = shown_by_get(emulator)
    assert (got["mlops.aws.s3.access.key"], got["mlops.aws.s3.secret.key"], got["mlops.kubeflow.password"]) \
        == (MASK, MASK, MASK)
    assert got["mlops.aws.s3.endpoint.url"] == "10.2.0.10:9000" and got["mlops.kubeflow.username"] == "kf"


TARGET_OPTIONS = dict(S3, deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, password=KF_PASSWORD))


def test_s3_and_kubeflow_are_written_masked_in_the_result_and_the_diff(emulator, tmp_path):
    seed_configurations(emulator, {"app.unrelated": "keep"})
    result = module(emulator, tmp_path, **TARGET_OPTIONS)
    assert result["changed"] is True, result
    assert_no_secret(result)
    expected = dict(S3_KEYS, **dict(KUBEFLOW_KEYS, **{"mlops.kubeflow.password": KF_PASSWORD}))
    assert stored(emulator) == dict(expected, **{"app.unrelated": "keep"})
    assert sorted(result["changed_keys"]) == sorted(expected)
    for key in ("mlops.aws.s3.access.key", "mlops.aws.s3.secret.key", "mlops.kubeflow.password"):
        assert result["configuration"][key] == MASK
        assert (result["diff"]["before"][key], result["diff"]["after"][key]) == ("", MASK)
    assert result["configuration"]["mlops.aws.s3.ignore.tls"] == "true"
    # The logged arguments hide them too.
    assert result["invocation"]["module_args"]["kubeflow"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    # The server now shows them masked: on_create keeps them (no change); always writes the
    # values given again (they cannot be compared), and only those.
    kept = module(emulator, tmp_path, update_password="on_create", **TARGET_OPTIONS)
    assert kept["changed"] is False, kept
    again = module(emulator, tmp_path, **TARGET_OPTIONS)
    assert sorted(again["changed_keys"]) == ["mlops.aws.s3.access.key", "mlops.aws.s3.secret.key",
                                             "mlops.kubeflow.password"]
    assert_no_secret(again)
    assert stored(emulator) == dict(expected, **{"app.unrelated": "keep"})


def test_check_mode_posts_nothing_and_shows_the_secrets_masked(emulator, tmp_path):
    before = emulator.state_bytes()
    result = module(emulator, tmp_path, check=True, **TARGET_OPTIONS)
    assert result["changed"] is True
    assert_no_secret(result)
    assert result["diff"]["after"]["mlops.kubeflow.password"] == MASK
    assert posts(emulator) == [] and emulator.state_bytes() == before


REFUSED = [
    (dict(deployment_target="kubeflow", kubeflow={"password": KF_PASSWORD, "namespace": "ns"}),
     "deployment_target is kubeflow but these options are missing: kubeflow.docker_registry, "
     "kubeflow.docker_context_path, kubeflow.fire_server_jar_name, kubeflow.container_port, kubeflow.service_port, "
     "kubeflow.service_target_port"),
    (dict(S3, deployment_target="sagemaker", sagemaker=SAGEMAKER, kubeflow={"password": KF_PASSWORD}),
     "deployment_target is sagemaker, so the options of kubeflow are refused: kubeflow.password. Set "
     "deployment_target to the target they configure, or remove them"),
    (dict(S3, kubeflow=dict(KUBEFLOW, password=KF_PASSWORD)),
     "deployment_target is none, so the options of kubeflow are refused: kubeflow.password, kubeflow.namespace, "
     "kubeflow.docker_registry, kubeflow.docker_context_path, kubeflow.fire_server_jar_name, "
     "kubeflow.container_port, kubeflow.service_port, kubeflow.service_target_port. Set deployment_target to the "
     "target they configure, or remove them"),  # in the order of the documentation, whatever the order given
    (dict(S3, deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, password=KF_PASSWORD, service_port=70000)),
     "kubeflow.service_port must be between 1 and 65535, got 70000"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, aws_id=12345)),
     "sagemaker.aws_id must be the 12 digits of an AWS account id, got '12345'"),
    (dict(deployment_target="sagemaker", sagemaker=dict(SAGEMAKER, arn="arn:aws:iam:role/x")),
     "sagemaker.arn must be an ARN"),
    (dict(s3_access_key=S3_ACCESS, s3_secret_key="********"),
     "mlops.aws.s3.secret.key would be written as a mask (the form a server shows a secret in), not as the "
     "secret: give the value itself, nothing was written"),
    (dict(deployment_target="kubeflow", kubeflow=dict(KUBEFLOW, password="[PROTECTED]")),
     "mlops.kubeflow.password would be written as a mask"),
]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check_mode"])
@pytest.mark.parametrize("options, message", REFUSED)
def test_a_refusal_sends_nothing_at_all(emulator, tmp_path, options, message, check):
    result = module(emulator, tmp_path, check=check, **options)
    assert result.get("failed") is True, result
    assert result["msg"].startswith(message), result["msg"]
    assert_no_secret(result)
    # Refused before the client was made: not even a GET.
    assert emulator.requests() == []


def test_a_kubeflow_map_that_is_not_one_hides_its_text(emulator, tmp_path):
    result = module(emulator, tmp_path, deployment_target="kubeflow", kubeflow="password=%s namespace" % KF_PASSWORD)
    assert result.get("failed") is True
    assert_no_secret(result)
    assert emulator.requests() == []


# -- a value shown masked is never written back ---------------------------------------------

@pytest.fixture
def with_s3_stored(emulator):
    seed_configurations(emulator, {"app.unrelated": "keep", "mlops.aws.s3.secret.key": S3_SECRET,
                                   "mlops.aws.s3.access.key": S3_ACCESS})
    return emulator


def test_a_whole_set_write_that_would_carry_the_masked_s3_keys_is_refused(with_s3_stored, tmp_path):
    for check in (False, True):
        result = module(with_s3_stored, tmp_path, check=check, deployment_target="sagemaker", sagemaker=SAGEMAKER)
        assert result.get("failed") is True
        assert result["msg"].startswith("Sparkflows showed mlops.aws.s3.access.key, mlops.aws.s3.secret.key masked: "
                                        "a write of the whole set would replace them with the mask, so nothing was "
                                        "written."), result["msg"]
        assert "This task gives" not in result["msg"]
    assert posts(with_s3_stored) == []
    assert stored(with_s3_stored)["mlops.aws.s3.secret.key"] == S3_SECRET


def test_the_refusal_names_the_s3_keys_a_task_gives_but_keeps_under_on_create(with_s3_stored, tmp_path):
    result = module(with_s3_stored, tmp_path, update_password="on_create", s3_endpoint_url="minio:9000", **dict(
        (option, value) for option, value in S3.items() if option in ("s3_access_key", "s3_secret_key")))
    assert result.get("failed") is True
    assert result["msg"].endswith(". This task gives mlops.aws.s3.access.key, mlops.aws.s3.secret.key but keeps the "
                                  "stored values (update_password: on_create): update_password: always writes the "
                                  "values given"), result["msg"]
    assert posts(with_s3_stored) == []


def test_changed_entries_keep_the_masked_s3_keys_and_never_write_a_mask(with_s3_stored, tmp_path):
    result = module(with_s3_stored, tmp_path, write_scope="changed_entries", deployment_target="sagemaker",
                    sagemaker=SAGEMAKER, s3_ignore_tls=False)
    assert result["changed"] is True, result
    after = stored(with_s3_stored)
    assert (after["mlops.aws.s3.secret.key"], after["mlops.aws.s3.access.key"]) == (S3_SECRET, S3_ACCESS)
    assert after["mlops.target.deployment"] == "sagemaker" and after["mlops.aws.s3.ignore.tls"] == "false"
    assert not any(value == MASK for value in after.values())


@pytest.mark.parametrize("shape", [shape for shape in VARIANTS["config_shape"] if shape != "page"])
def test_every_configuration_shape_round_trips_the_new_keys(emulator, tmp_path, shape):
    # (A set read empty has no entry to learn the entities' field names from: one is seeded.)
    seed_configurations(emulator, {"app.unrelated": "keep"})
    emulator.control("variant", {"config_shape": shape, "unknown_keys": "drop"})
    options = dict(TARGET_OPTIONS, update_password="on_create")
    first = module(emulator, tmp_path, **options)
    assert first["changed"] is True, first
    assert stored(emulator) == dict(S3_KEYS, **dict(KUBEFLOW_KEYS, **{"mlops.kubeflow.password": KF_PASSWORD,
                                                                      "app.unrelated": "keep"}))
    second = module(emulator, tmp_path, **options)
    assert second["changed"] is False, second


def test_a_playbook_run_never_shows_the_new_secrets(emulator, tmp_path):
    task = [{"name": "S3 store and Kubeflow", "sparkflows.mlops.mlflow_config": TARGET_OPTIONS}]
    defaults = {"api_url": emulator.url, "api_token": ADMIN_TOKEN}
    result = run_playbook(tmp_path, task, module_defaults=defaults, args=["--diff", "-vvv"], callback="default")
    assert result.rc == 0, result.stdout[-3000:]
    for value in SECRET_VALUES:
        assert value not in result.stdout + result.stderr
        assert value in stored(emulator).values()
    assert '+    "mlops.kubeflow.password": "********"' in result.stdout
