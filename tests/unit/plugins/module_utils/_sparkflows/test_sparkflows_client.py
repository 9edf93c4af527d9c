"""The Sparkflows client against the emulator over real HTTP(S) on loopback."""


import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    MaskedValues,
    SparkflowsClient,
    SparkflowsError,
    validate_url,
)
from emulator.fixtures import ADMIN_PASSWORD, ADMIN_TOKEN, ANALYST_TOKEN, seed_configurations
from emulator.sparkflows_emulator import VARIANTS
from utils.ports import free_port


class Sleeps(list):
    """Records the backoff delays instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


# The 401 hint names the module options and the variables the roles and playbooks set them from:
# the inventory's one variable set, and the deprecated per-role tokens that win over it when set
# (tests/unit/plugins/lookup/test_sparkflows_connection.py checks it names every one the lookup reads).
HINT_401 = ("check api_token or api_username/api_password (in the collection's roles and playbooks: "
            "sparkflows_api_token - or the deprecated scorer_sparkflows_api_token or sparkflows_mlflow_api_token, "
            "which wins when set - or sparkflows_api_username/sparkflows_api_password)")


def client_for(server, sleeps=None, **options):
    options.setdefault("api_token", ADMIN_TOKEN)
    return SparkflowsClient(server.url, sleep=sleeps if sleeps is not None else Sleeps(), **options)


def requests_to(server, path):
    return [r for r in server.requests() if r["path"] == path]


@pytest.mark.parametrize("url", ["mlflow:5000", "ftp://host/", "http://", "127.0.0.1:8080", "http://host:99999"])
def test_malformed_urls_are_refused_before_any_request(url):
    with pytest.raises(SparkflowsError, match="api_url"):
        validate_url(url)


def test_url_trailing_slash_is_dropped():
    assert validate_url("https://sparkflows.example.net:8443/") == "https://sparkflows.example.net:8443"


def test_token_auth_reads_release_and_health(emulator):
    client = client_for(emulator)
    assert client.health() == "UP"
    assert client.release() == ("3.1.0", {"release": "3.1.0", "build": "emulator", "sparkVersion": "3.2.1"})
    assert client.user_info()["username"] == "admin"
    assert client.is_admin() is True


def test_token_header_name_is_configurable(emulator):
    client = client_for(emulator, api_token_header="X-Auth-Token")
    with pytest.raises(SparkflowsError, match="HTTP 401"):
        client.release()  # the emulator expects the documented default header
    sent = requests_to(emulator, "/api/v1/app/release-info")[0]["headers"]
    assert "x-auth-token" in sent and "token" not in sent


def test_session_login_then_cookie(emulator):
    client = client_for(emulator, api_token=None, api_username="admin", api_password=ADMIN_PASSWORD)
    assert client.configurations().text() == {}
    assert client.user_info()["username"] == "admin"
    assert len(requests_to(emulator, "/login")) == 1


def test_wrong_login_is_one_clear_error(emulator):
    client = client_for(emulator, api_token=None, api_username="admin", api_password="wrong")
    with pytest.raises(SparkflowsError) as error:
        client.configurations()
    assert str(error.value) == "POST %s/login: HTTP 401: Bad credentials; %s" % (emulator.url, HINT_401)


def test_wrong_token_is_not_retried(emulator):
    client = client_for(emulator, api_token="nope", retries=3)
    with pytest.raises(SparkflowsError) as error:
        client.release()
    assert str(error.value) == (
        "GET %s/api/v1/app/release-info: HTTP 401: Invalid access token; %s" % (emulator.url, HINT_401))
    assert len(requests_to(emulator, "/api/v1/app/release-info")) == 1


def test_non_admin_gets_403_on_configurations(emulator):
    client = client_for(emulator, api_token=ANALYST_TOKEN)
    assert client.is_admin() is False
    with pytest.raises(SparkflowsError, match=r"HTTP 403: Access is denied; .*administrator"):
        client.configurations()


def test_5xx_is_retried_with_backoff_then_succeeds(emulator):
    emulator.control("faults", {"fail_next": [503, 502]})
    sleeps = Sleeps()
    assert client_for(emulator, sleeps, retries=3).release()[0] == "3.1.0"
    assert sleeps == [0.5, 1.0]
    assert [r["status"] for r in requests_to(emulator, "/api/v1/app/release-info")] == [503, 502, 200]


def test_5xx_retries_are_bounded(emulator):
    emulator.control("faults", {"fail_next": [500] * 5})
    sleeps = Sleeps()
    with pytest.raises(SparkflowsError, match="HTTP 500"):
        client_for(emulator, sleeps, retries=2).release()
    assert len(sleeps) == 2
    assert len(requests_to(emulator, "/api/v1/app/release-info")) == 3


def test_unreachable_server_fails_after_bounded_retries():
    sleeps = Sleeps()
    client = SparkflowsClient("http://127.0.0.1:%d" % free_port(), api_token="t", retries=2, sleep=sleeps)
    with pytest.raises(SparkflowsError, match=r"cannot connect to Sparkflows: .*refused.* \(after 3 attempts\)"):
        client.release()
    assert len(sleeps) == 2


def test_html_instead_of_json_is_a_clear_error(emulator):
    emulator.control("faults", {"html": True})
    with pytest.raises(SparkflowsError, match=r"HTTP 200 but the answer is not JSON \(Content-Type text/html\)"):
        client_for(emulator).release()


def test_tls_unknown_ca_is_refused_when_validating(tls_emulator):
    with pytest.raises(SparkflowsError, match="TLS certificate verification failed"):
        client_for(tls_emulator).release()
    assert tls_emulator.requests(context=_trusting(tls_emulator)) == []


def test_tls_with_ca_path_and_without_validation(tls_emulator):
    assert client_for(tls_emulator, ca_path=str(tls_emulator.ca)).release()[0] == "3.1.0"
    assert client_for(tls_emulator, validate_certs=False).release()[0] == "3.1.0"


def _trusting(server):
    import ssl

    return ssl.create_default_context(cafile=str(server.ca))


@pytest.mark.parametrize("shape", [shape for shape in VARIANTS["config_shape"] if shape != "page"])
@pytest.mark.parametrize("post", VARIANTS["config_post"])
def test_read_modify_write_keeps_every_other_key(emulator, shape, post):
    seed_configurations(emulator, {"other.key": "keep", "mlops.port": "5000"})
    emulator.control("variant", {"config_shape": shape, "config_post": post})
    client = client_for(emulator)
    written, body = client.configuration_body(client.configurations(), {"mlops.port": "5001", "mlops.new.key": "x"})
    assert written.shape == ("entries" if shape == "entities" else shape)
    client.save_configurations(body)
    assert client.configurations().text() == {"other.key": "keep", "mlops.port": "5001", "mlops.new.key": "x"}


def test_the_write_takes_the_shape_infer_answers(emulator):
    seed_configurations(emulator, {"other.key": "keep"})
    emulator.control("variant", {"config_shape": "grouped", "config_infer": "entities"})
    client = client_for(emulator)
    written, body = client.configuration_body(client.configurations(), {"mlops.port": "5001"})
    assert body == [{"id": 1, "configKey": "other.key", "configValue": "keep", "category": "other"},
                    {"configKey": "mlops.port", "configValue": "5001"}]
    client.save_configurations(body)
    assert [r["path"] for r in emulator.requests()] == ["/api/v1/configurations", "/api/v1/configurations/infer",
                                                        "/api/v1/configurations"]


def test_a_page_without_infer_is_refused_before_a_post(emulator):
    emulator.control("variant", {"config_shape": "page"})
    client = client_for(emulator)
    with pytest.raises(SparkflowsError, match="as a Spring Data page of entries and does not serve "
                                              "/api/v1/configurations/infer"):
        client.configuration_body(client.configurations(), {"mlops.port": "5001"})
    assert [r["method"] for r in emulator.requests()] == ["GET", "GET"]


@pytest.mark.parametrize("infer", VARIANTS["config_infer"])
def test_a_value_shown_masked_is_never_carried_in_a_whole_set_write(emulator, infer):
    seed_configurations(emulator, {"mlops.aws.s3.secret.key": "S3-secret", "mlops.port": "5000"})
    emulator.control("variant", {"config_infer": infer})
    client = client_for(emulator)
    read = client.configurations()
    with pytest.raises(MaskedValues, match="showed mlops.aws.s3.secret.key masked") as refused:
        client.configuration_body(read, {"mlops.port": "5001"})
    assert refused.value.names == ["mlops.aws.s3.secret.key"]
    # Written over, or written alone: no mask carried.
    assert client.configuration_body(read, {"mlops.aws.s3.secret.key": "new"})[1]
    body = client.configuration_body(read, {"mlops.port": "5001"}, only_changed=True)[1]
    assert "S3-secret" not in repr(body) and "********" not in repr(body)


def test_infer_errors_other_than_not_served_fail(emulator):
    client = client_for(emulator, retries=0)
    read = client.configurations()
    emulator.control("faults", {"fail_next": [403]})
    with pytest.raises(SparkflowsError, match="infer: HTTP 403"):
        client.configuration_body(read, {"a": "2"})


def test_workflow_runs_and_is_waited_for(emulator):
    client = client_for(emulator)
    execution = client.execute_workflow(client.workflow_id("score-churn"))
    assert client.wait_for_execution(execution, timeout=30, interval=0.2) == ("COMPLETED", None)


def test_workflow_wait_is_bounded(emulator):
    import time

    client = SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN)
    execution = client.execute_workflow(client.workflow_id("score-forever"))
    started = time.monotonic()
    assert client.wait_for_execution(execution, timeout=1, interval=0.2) == ("RUNNING", None)
    assert time.monotonic() - started < 10


def test_unknown_workflow_is_404(emulator):
    with pytest.raises(SparkflowsError, match="HTTP 404: No workflow named nope"):
        client_for(emulator).workflow_id("nope")


@pytest.mark.parametrize("variant, release", [("release", "3.1.0"), ("version", "3.1.0"), ("unknown", None)])
def test_release_key_variants(emulator, variant, release):
    emulator.control("variant", {"release_key": variant})
    if release:
        assert client_for(emulator).release()[0] == release
    else:
        with pytest.raises(SparkflowsError, match=r"release-info: unrecognised answer: no release in an object with "
                                                  r"keys \[build, fireBuildVersion, sparkVersion\]"):
            client_for(emulator).release()


@pytest.mark.parametrize("shape", VARIANTS["models_shape"])
@pytest.mark.parametrize("versions", VARIANTS["model_versions"])
def test_model_list_variants(emulator, shape, versions):
    emulator.control("variant", {"models_shape": shape, "model_versions": versions})
    client = client_for(emulator)
    models = client.output_models()
    assert [m["id"] for m in models] == [101, 102]
    assert client.latest_model(models, "churn-model")["id"] == 102


def test_model_selection(emulator):
    client = SparkflowsClient(emulator.url, api_token=ADMIN_TOKEN)
    assert client.select_model(model_id="102")["version"] == 2
    assert client.select_model(model_name="churn-model")["id"] == 102
    assert client.select_model(model_name="churn-model", stage="Production")["id"] == 101
    with pytest.raises(SparkflowsError, match="No model named churn-model in stage Archived"):
        client.select_model(model_name="churn-model", stage="Archived")
    with pytest.raises(SparkflowsError, match="No model with id 999 in the Sparkflows model repository"):
        client.select_model(model_id="999")
