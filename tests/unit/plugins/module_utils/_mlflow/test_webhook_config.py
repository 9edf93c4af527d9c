"""mlflow_webhook's logic on answers recorded from MLflow 3.17's REST API
(fixtures/mlflow_webhook/api.json): which calls it makes for each state MLflow holds, that only
the options set are compared, that check mode writes nothing, that the secret goes out only on
creation or when asked, and that an answer it does not recognise fails it."""

import copy
import json
import pathlib

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import webhook_config
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.tracking_api import TrackingApiError

ANSWERS = json.loads((pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "mlflow_webhook" / "api.json")
                     .read_text())["answers"]
HELD = ANSWERS["list"]["body"]["webhooks"][0]
WEBHOOK_ID = HELD["webhook_id"]


class Host(object):
    def __init__(self, diff=False):
        self.diff = diff


class Api(object):
    """MLflow as recorded: GET /webhooks lists `held`; every other call answers its recording."""

    def __init__(self, held=(), answers=None):
        self.held = [copy.deepcopy(w) for w in held]
        self.answers = answers or {}
        self.calls = []

    def call(self, method, path, body=None, query=None):
        self.calls.append((method, path, body))
        if (method, path) == ("GET", "/webhooks"):
            return {"webhooks": self.held} if self.held else {}
        if method == "POST" and path == "/webhooks":
            return self.answers.get("create", ANSWERS["create"]["body"])
        if method == "PATCH":
            return self.answers.get("update", ANSWERS["update"]["body"])
        if method == "DELETE":
            return ANSWERS["delete"]["body"]
        if path.endswith("/test"):
            return self.answers["test"]
        raise AssertionError("unexpected call %s %s" % (method, path))

    def writes(self):
        return [(method, path, body) for method, path, body in self.calls if method != "GET"]


def params(**options):
    values = dict(tracking_uri="https://mlflow.example.net:5000", username="admin", password="pw",
                  validate_certs=True, ca_path=None, timeout=30, name="sparkflows-eda", state="present",
                  url="https://127.0.0.1:9/", events=["model_version_alias.created"], description=None,
                  status="active", secret="the-secret", update_secret="on_create", test=False)
    values.update(options)
    return values


def converge(api, check_mode=False, diff=False, **options):
    return webhook_config._converge(api, params(**options), check_mode, Host(diff))


def test_a_missing_webhook_is_created_with_its_secret():
    api = Api()
    result = converge(api, description="EDA")
    assert api.writes() == [("POST", "/webhooks", {
        "name": "sparkflows-eda", "url": "https://127.0.0.1:9/", "secret": "the-secret", "status": "ACTIVE",
        "description": "EDA", "events": [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}]})]
    assert result["changed"] and result["secret_updated"]
    assert result["webhook"] == {"webhook_id": WEBHOOK_ID, "name": "sparkflows-eda", "url": "https://127.0.0.1:9/",
                                 "events": ["model_version_alias.created"], "description": "EDA", "status": "active"}
    assert "the-secret" not in json.dumps(result)


def test_a_webhook_as_wanted_is_left_alone_and_its_secret_not_sent():
    api = Api([HELD])
    result = converge(api, description="EDA")
    assert api.writes() == []
    assert not result["changed"] and not result["secret_updated"]


def test_only_the_fields_that_differ_are_sent_and_a_description_not_given_is_not_compared():
    api = Api([HELD])
    result = converge(api, events=["model_version_alias.created", "model_version.created"], status="disabled")
    assert api.writes() == [("PATCH", "/webhooks/%s" % WEBHOOK_ID, {
        "events": [{"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
                   {"entity": "MODEL_VERSION", "action": "CREATED"}], "status": "DISABLED"})]
    assert result["changed"] and result["webhook"]["status"] == "disabled"
    assert result["webhook"]["events"] == ["model_version.created", "model_version_alias.created"]


def test_the_same_events_in_another_order_are_no_change():
    held = dict(HELD, events=[{"entity": "MODEL_VERSION", "action": "CREATED"},
                              {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}])
    api = Api([held])
    assert not converge(api, events=["model_version_alias.created", "model_version.created"])["changed"]


def test_update_secret_always_sends_the_secret_alone_and_reports_a_change():
    api = Api([HELD])
    result = converge(api, update_secret="always")
    assert api.writes() == [("PATCH", "/webhooks/%s" % WEBHOOK_ID, {"secret": "the-secret"})]
    assert result["changed"] and result["secret_updated"]


def test_check_mode_writes_nothing_and_previews_with_a_diff():
    api = Api([HELD])
    result = converge(api, check_mode=True, diff=True, status="disabled", update_secret="always")
    assert api.writes() == []
    assert result["changed"]
    assert result["diff"]["before"]["status"] == "active" and result["diff"]["after"]["status"] == "disabled"
    assert "the-secret" not in json.dumps(result)
    created = converge(Api(), check_mode=True, diff=True)
    assert created["changed"] and created["webhook"]["webhook_id"] == "(created)" and created["diff"]["before"] == {}


def test_absent_removes_every_webhook_of_the_name_and_nothing_when_there_is_none():
    other = dict(HELD, webhook_id="another-id")
    api = Api([HELD, other])
    result = converge(api, state="absent", diff=True)
    assert api.writes() == [("DELETE", "/webhooks/%s" % WEBHOOK_ID, None), ("DELETE", "/webhooks/another-id", None)]
    assert result["changed"] and result["removed"] == [WEBHOOK_ID, "another-id"] and result["diff"]["after"] == {}
    nothing = Api()
    assert not converge(nothing, state="absent")["changed"] and nothing.writes() == []
    checked = Api([HELD])
    assert converge(checked, state="absent", check_mode=True)["changed"] and checked.writes() == []


def test_two_webhooks_of_the_name_are_refused_naming_both():
    api = Api([HELD, dict(HELD, webhook_id="another-id")])
    with pytest.raises(ModuleFailure, match="2 webhooks of MLflow are named sparkflows-eda .*another-id"):
        converge(api)
    assert api.writes() == []


def test_a_page_token_is_followed_and_other_names_ignored():
    class Paged(Api):
        def call(self, method, path, body=None, query=None):
            if (method, path) == ("GET", "/webhooks"):
                self.calls.append((method, path, dict(query)))
                if "page_token" not in query:
                    return {"webhooks": [dict(HELD, name="other")], "next_page_token": "p2"}
                return {"webhooks": [HELD]}
            return Api.call(self, method, path, body, query)

    api = Paged()
    assert not converge(api, description="EDA")["changed"]
    assert [call[2].get("page_token") for call in api.calls] == [None, "p2"]


@pytest.mark.parametrize("answer", [{"webhooks": {"x": 1}}, {"webhooks": [{"name": "sparkflows-eda"}]}])
def test_a_listing_that_is_no_list_of_webhooks_fails(answer):
    class Odd(Api):
        def call(self, method, path, body=None, query=None):
            return answer

    with pytest.raises(TrackingApiError, match="not a list of webhooks"):
        converge(Odd())


def test_a_creation_answer_without_a_webhook_fails():
    with pytest.raises(TrackingApiError, match="POST /webhooks: the answer holds no webhook"):
        converge(Api(answers={"create": {"status": "ok"}}))


def test_a_test_delivery_mlflow_could_not_make_fails_with_mlflows_reason():
    api = Api([HELD], answers={"test": ANSWERS["test_unreachable"]["body"]})
    with pytest.raises(ModuleFailure) as failure:
        converge(api, description="EDA", test=True)
    assert "test delivery to https://127.0.0.1:9/ failed: no answer (Failed to test webhook: ConnectionError" \
        in failure.value.msg
    taken = Api([HELD], answers={"test": {"result": {"success": True, "response_status": 200}}})
    assert converge(taken, description="EDA", test=True)["test"]["response_status"] == 200
    refused = Api([HELD], answers={"test": {"result": {"success": False, "response_status": 401}}})
    with pytest.raises(ModuleFailure, match="failed: answered 401"):
        converge(refused, description="EDA", test=True)


def test_a_failed_test_after_a_change_says_the_change_happened():
    rotated = Api([HELD], answers={"test": {"result": {"success": False, "response_status": 401}}})
    with pytest.raises(ModuleFailure) as failure:
        converge(rotated, description="EDA", update_secret="always", test=True)
    assert failure.value.result["changed"] and failure.value.result["secret_updated"]
    assert failure.value.result["webhook"]["webhook_id"] == WEBHOOK_ID

    class Unanswered(Api):
        def call(self, method, path, body=None, query=None):
            if path.endswith("/test"):
                raise TrackingApiError("POST /api/2.0/mlflow/webhooks/x/test: MLflow answered 503")
            return Api.call(self, method, path, body, query)

    with pytest.raises(ModuleFailure) as failure:
        converge(Unanswered(), test=True)
    assert failure.value.msg.endswith("MLflow answered 503") and failure.value.result["changed"]


def test_a_removal_that_fails_half_way_says_what_it_removed():
    class Failing(Api):
        def call(self, method, path, body=None, query=None):
            if method == "DELETE" and path.endswith("another-id"):
                raise TrackingApiError("DELETE: MLflow answered 500")
            return Api.call(self, method, path, body, query)

    with pytest.raises(ModuleFailure) as failure:
        converge(Failing([HELD, dict(HELD, webhook_id="another-id")]), state="absent")
    assert failure.value.result == {"changed": True, "removed": [WEBHOOK_ID]}


def test_an_event_named_twice_is_sent_once():
    api = Api()
    converge(api, events=["model_version.created", "model_version.created"])
    assert api.writes()[0][2]["events"] == [{"entity": "MODEL_VERSION", "action": "CREATED"}]
    assert not converge(Api([dict(HELD, events=[{"entity": "MODEL_VERSION", "action": "CREATED"}])]),
                        description="EDA", events=["model_version.created", "model_version.created"])["changed"]


def test_check_mode_sends_no_test_delivery():
    api = Api([HELD])
    assert "test" not in converge(api, check_mode=True, test=True)
    assert [call for call in api.calls if call[1].endswith("/test")] == []


@pytest.mark.parametrize("options, problem", [
    ({"url": "http://eda.example.net/"}, "url must be an https:// URL"),
    ({"url": None}, "url must be an https:// URL"),
    ({"events": []}, "events must name one event or more"),
    ({"tracking_uri": "mlflow.example.net"}, "tracking_uri must be an http:// or https:// URL"),
    ({"password": None}, "username and password go together"),
    ({"timeout": 0}, "timeout must be 1 or more seconds"),
    ({"tracking_uri": "https://admin:pw@mlflow.example.net"}, "must not hold a user or password"),
    ({"name": " "}, "name must not be empty"),
])
def test_bad_options_are_refused_before_any_call(options, problem):
    with pytest.raises(ModuleFailure, match=problem) as failure:
        webhook_config.run(params(**options), False, Host())
    assert ":pw@" not in failure.value.msg


def test_absent_needs_no_url():
    assert webhook_config.option_problems(params(state="absent", url=None, secret=None)) == []


def test_the_listing_asks_for_full_pages_and_a_removal_diff_shows_what_was_held():
    api = Api([HELD])
    result = converge(api, state="absent", diff=True)
    assert api.calls[0] == ("GET", "/webhooks", None)
    assert result["diff"] == {"before": webhook_config.view(HELD), "after": {}} and result["webhook"] == {}

    class Recording(Api):
        def call(self, method, path, body=None, query=None):
            self.query = query
            return Api.call(self, method, path, body, query)

    recording = Recording()
    converge(recording, state="absent")
    assert recording.query == {"max_results": 100}


def test_a_no_op_says_false_not_just_nothing():
    result = converge(Api([HELD]), description="EDA")
    assert result["changed"] is False and result["secret_updated"] is False


def test_check_mode_creation_previews_the_webhook_as_wanted():
    result = converge(Api(), check_mode=True, description="EDA")
    assert result["webhook"] == {"webhook_id": "(created)", "name": "sparkflows-eda", "url": "https://127.0.0.1:9/",
                                 "events": ["model_version_alias.created"], "description": "EDA", "status": "active"}


def test_answers_without_what_the_call_returns_fail_naming_the_call():
    with pytest.raises(TrackingApiError, match="PATCH /webhooks/%s: the answer holds no webhook \\(empty\\)" % WEBHOOK_ID):
        converge(Api([HELD], answers={"update": {}}), status="disabled")

    class Endless(Api):
        def call(self, method, path, body=None, query=None):
            return {"webhooks": [], "next_page_token": "more"}

    with pytest.raises(TrackingApiError, match="GET /webhooks: more than 50 pages of webhooks"):
        converge(Endless())


def test_the_test_delivery_goes_to_the_webhook_found():
    api = Api([HELD], answers={"test": {"result": {"success": True, "response_status": 200}}})
    converge(api, description="EDA", test=True)
    assert api.calls[-1] == ("POST", "/webhooks/%s/test" % WEBHOOK_ID, {})


def test_a_url_without_a_host_is_refused():
    assert webhook_config.option_problems(params(url="https://")) == [
        "url must be an https:// URL (MLflow delivers to https:// only), got 'https://'"]


def test_two_webhooks_of_the_name_change_nothing():
    with pytest.raises(ModuleFailure) as failure:
        converge(Api([HELD, dict(HELD, webhook_id="another-id")]))
    assert failure.value.result == {"changed": False}
