"""mlflow_model_version_info's logic: which call it makes for a version and for an alias URI, the
version pinned from MLflow's answer (shaped as MLflow's REST API answers), and a clear failure,
changing nothing, for a URI it does not take, a version or alias not in the registry and an
answer it does not recognise."""

import pytest

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow import model_version_info
from ansible_collections.sparkflows.mlops.plugins.module_utils._mlflow.tracking_api import TrackingApiError

VERSION = {"name": "churn", "version": "3", "source": "mlflow-artifacts:/1/abc/artifacts/model", "run_id": "abc",
           "status": "READY", "current_stage": "None", "aliases": ["champion"], "creation_timestamp": 1}


class Api(object):
    def __init__(self, answer=None, error=None):
        self.answer, self.error, self.calls = answer, error, []

    def __call__(self, params):
        return self

    def call(self, method, path, body=None, query=None):
        self.calls.append((method, path, query))
        if self.error:
            raise self.error
        return self.answer


def run(monkeypatch, model_uri, api):
    monkeypatch.setattr(model_version_info, "TrackingApi", api)
    params = dict(tracking_uri="http://127.0.0.1:15000", username="admin", password="pw", validate_certs=True,
                  ca_path=None, timeout=30, model_uri=model_uri)
    return model_version_info.run(params, False, None)


def test_an_alias_is_resolved_to_the_version_it_points_to_now(monkeypatch):
    api = Api({"model_version": VERSION})
    result = run(monkeypatch, "models:/churn@champion", api)
    assert api.calls == [("GET", "/registered-models/alias", {"name": "churn", "alias": "champion"})]
    assert (result["changed"], result["pinned_uri"], result["alias"]) == (False, "models:/churn/3", "champion")
    assert result["model_version"] == dict((k, VERSION[k]) for k in model_version_info.FIELDS)


def test_a_version_is_read_as_it_is(monkeypatch):
    api = Api({"model_version": dict(VERSION, version=3)})
    result = run(monkeypatch, "models:/churn/3", api)
    assert api.calls == [("GET", "/model-versions/get", {"name": "churn", "version": "3"})]
    assert (result["pinned_uri"], result["alias"], result["model_version"]["version"]) == ("models:/churn/3", None, "3")


@pytest.mark.parametrize("uri", ["runs:/abc/model", "models:/churn", "models:/churn/latest", "models:/a/b/1",
                                 "models:/churn@", "s3://bucket/model", ""])
def test_a_uri_that_names_no_registry_version_is_refused_before_any_call(monkeypatch, uri):
    api = Api({"model_version": VERSION})
    with pytest.raises(ModuleFailure, match="model_uri must be models:/NAME/VERSION or models:/NAME@ALIAS"):
        run(monkeypatch, uri, api)
    assert api.calls == []


def test_an_alias_not_in_the_registry_is_named(monkeypatch):
    api = Api(error=TrackingApiError("GET /api/2.0/mlflow/registered-models/alias: MLflow answered 400 "
                                     "INVALID_PARAMETER_VALUE: Registered model alias champion not found.", status=400))
    with pytest.raises(ModuleFailure, match="^Cannot read models:/churn@champion from the registry: GET .*alias champion "
                                            "not found") as failed:
        run(monkeypatch, "models:/churn@champion", api)
    assert failed.value.result["changed"] is False


@pytest.mark.parametrize("answer", [{}, {"model_version": []}, {"model_version": {"name": "churn"}},
                                    {"model_version": {"name": "churn", "version": "three"}},
                                    {"model_version": {"version": "3"}}])
def test_an_answer_it_does_not_recognise_fails(monkeypatch, answer):
    with pytest.raises(ModuleFailure, match="the answer holds no model version with a name and a number"):
        run(monkeypatch, "models:/churn@champion", Api(answer))


def test_an_answer_about_another_version_fails(monkeypatch):
    with pytest.raises(ModuleFailure, match="asked for models:/churn/2, MLflow answered version 3 of churn"):
        run(monkeypatch, "models:/churn/2", Api({"model_version": VERSION}))


def test_bad_connection_options_are_refused(monkeypatch):
    monkeypatch.setattr(model_version_info, "TrackingApi", Api())
    params = dict(tracking_uri="ftp://x", username="admin", password=None, validate_certs=True, ca_path=None,
                  timeout=30, model_uri="models:/churn/1")
    with pytest.raises(ModuleFailure, match="tracking_uri must be an http"):
        model_version_info.run(params, False, None)


@pytest.mark.parametrize("uri, alias", [("models:/churn@champion", True), ("models:/churn/3", False),
                                        ("runs:/abc/model", False), ("models:/churn@", False), ("", False), (None, False)])
def test_only_a_registry_uri_naming_an_alias_names_one(uri, alias):
    assert model_version_info.names_an_alias(uri) is alias
