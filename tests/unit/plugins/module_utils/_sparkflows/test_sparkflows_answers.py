"""The shapes of Sparkflows answers the client recognises (module_utils/_sparkflows/answers), and
the property that no answer at all - any status, headers and body - makes the client raise
anything but a clean SparkflowsError or return anything but a valid result."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows import answers
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.answers import UnrecognisedAnswer
from ansible_collections.sparkflows.mlops.plugins.module_utils._sparkflows.client import (
    SparkflowsClient,
    SparkflowsError,
)
from emulator.sparkflows_emulator import VARIANTS, configurations_answer, configurations_posted

CONFIGURATIONS = {"mlops.port": "5000", "mlops.mlflow.trackingURL": "http://mlflow:5000", "other.key": "x"}


IDS = {}


def ids(key):
    """The emulator's id of a key: one per key, stable."""
    return IDS.setdefault(key, len(IDS) + 1)


@pytest.mark.parametrize("shape", [shape for shape in VARIANTS["config_shape"] if shape != "page"])
def test_every_writable_configuration_shape_reads_and_writes_back_in_kind(shape):
    read = answers.Configurations(configurations_answer(CONFIGURATIONS, shape, ids))
    assert read.text() == CONFIGURATIONS
    body = read.body({"mlops.port": "5001", "mlops.new": "y"})
    assert configurations_posted(body, shape, ids) == dict(CONFIGURATIONS, **{"mlops.port": "5001", "mlops.new": "y"})
    changed = read.changed_entries({"mlops.port": "5001", "mlops.new": "y"})
    assert configurations_posted(changed, shape, ids) == {"mlops.port": "5001", "mlops.new": "y"}


def test_a_page_is_read_but_not_written():
    read = answers.Configurations(configurations_answer(CONFIGURATIONS, "page", ids))
    assert read.text() == CONFIGURATIONS and not read.writable
    for write in (read.body, read.changed_entries):
        with pytest.raises(UnrecognisedAnswer, match="a Spring Data page of entries cannot be written back"):
            write({"mlops.port": "5001"})


def test_changed_entries_keep_an_entitys_id_and_other_fields():
    read = answers.Configurations([{"id": 7, "configKey": "a", "configValue": "1", "category": "c"},
                                   {"id": 8, "configKey": "b", "configValue": "2", "category": "c"}])
    assert read.changed_entries({"b": "3", "new": "n"}) == [
        {"id": 8, "configKey": "b", "configValue": "3", "category": "c"}, {"configKey": "new", "configValue": "n"}]


def test_changed_entries_of_groups_leave_out_groups_without_a_change():
    read = answers.Configurations({"General": [{"name": "app.x", "value": "1"}],
                                   "MLOps": [{"name": "mlops.port", "value": "5000"}, {"name": "mlops.y", "value": "2"}]})
    assert read.changed_entries({"mlops.port": "5001"}) == {"MLOps": [{"name": "mlops.port", "value": "5001"}]}
    assert read.changed_entries({"mlops.z": "1"}) == {"MLOps": [{"name": "mlops.z", "value": "1"}]}


@pytest.mark.parametrize("mask", ["********", "****1234", "\u2022\u2022\u2022\u2022", "<hidden>", "[PROTECTED]",
                                  "$encrypted$", " ******** "])
def test_masked_names_are_the_values_shown_masked(mask):
    read = answers.Configurations({"a.password": mask, "b": "clear", "c.secret": "", "d": mask})
    assert read.masked_names() == ["a.password", "d"]
    assert read.masked_names(exclude={"d": "x"}) == ["a.password"]


@pytest.mark.parametrize("value", ["secret", "hidden", "**", "abc****", "*a*b*c", "****12345", "x"])
def test_values_that_are_not_masks(value):
    assert answers.Configurations({"a.password": value}).masked_names() == []


def test_entities_keep_their_other_fields():
    read = answers.Configurations([{"id": 7, "configKey": "a", "configValue": "1", "category": "c"}])
    assert read.body({"a": "2"}) == [{"id": 7, "configKey": "a", "configValue": "2", "category": "c"}]


def test_a_new_key_joins_the_group_of_its_closest_names():
    read = answers.Configurations({"General": [{"name": "app.x", "value": "1"}],
                                   "MLOps": [{"name": "mlops.port", "value": "5000"}]})
    body = read.body({"mlops.mlflow.trackingURL": "http://m:5000"})
    assert body["MLOps"][-1] == {"name": "mlops.mlflow.trackingURL", "value": "http://m:5000"}
    assert body["General"] == [{"name": "app.x", "value": "1"}]


def test_values_read_as_the_configuration_stores_them():
    assert answers.Configurations({"a": True, "b": None, "c": 5}).text() == {"a": "true", "b": "", "c": "5"}


@pytest.mark.parametrize("answer, message", [
    ({"content": [{"name": "a", "value": "1"}], "totalElements": 40}, "a page of 1 of 40 configurations"),
    ({"content": [], "last": False}, "a page of 0 of 0"),
    ([{"id": 1, "label": "a"}], "entries need name/value"),
    ({"a": {"nested": 1}}, r"not one of the known shapes"),
    ([{"name": "a", "value": {"x": 1}}], "the configuration a holds an object"),
    ("mlops.port=5000", "a string of 15 characters"),
    (None, "an empty answer"),
])
def test_unknown_configuration_shapes_are_refused(answer, message):
    with pytest.raises(UnrecognisedAnswer, match=message):
        answers.Configurations(answer)


@pytest.mark.parametrize("answer, release", [
    ({"release": "3.1.0"}, "3.1.0"), ({"version": "3.2.1-rc1"}, "3.2.1-rc1"), ({"releaseVersion": 3.1}, "3.1"),
    ("3.1.0", "3.1.0"), ({"release": "", "version": "3.0.0"}, "3.0.0"),
])
def test_release_shapes(answer, release):
    assert answers.read_release(answer) == release


@pytest.mark.parametrize("answer", [{"fireVersion": "3.1.0"}, {"release": "<b>3</b>"}, {"release": True}, [], None,
                                    "Sparkflows 3.1.0"])
def test_unknown_release_is_refused(answer):
    with pytest.raises(UnrecognisedAnswer, match="no release in"):
        answers.read_release(answer)


@pytest.mark.parametrize("versions, latest", [
    ([9, 10], 10), (["9", "10"], "10"), (["1.9", "1.10"], "1.10"), ([None, "2"], "2"), ([3, "3.1"], "3.1"),
])
def test_versions_are_ordered_as_numbers(versions, latest):
    # The client's own order (latest_model), the newest version given the LOWEST id: an order
    # comparing ids before versions picks another model.
    models = [{"id": 100 - i, "version": v} for i, v in enumerate(versions)]
    assert SparkflowsClient("http://127.0.0.1:9").latest_model(models, "m")["version"] == latest


@pytest.mark.parametrize("version", ["v2", "latest", 1.5, -1, {"major": 1}])
def test_non_numeric_versions_are_refused(version):
    with pytest.raises(UnrecognisedAnswer, match="model version"):
        answers.version_key(version)


def test_model_lists():
    models = [{"id": 101, "version": "1"}, {"id": "102"}]
    assert answers.read_models(models) == models
    assert answers.read_models({"content": models, "totalElements": 2}) == models
    for answer, message in ((None, "an empty answer"), ("oops", "a string"), ([1, 2], "a number"),
                            ({"content": models, "totalElements": 3}, "a page of 2 of 3 models"),
                            ([{"name": "no id"}], "with an id")):
        with pytest.raises(UnrecognisedAnswer, match=message):
            answers.read_models(answer)


@pytest.mark.parametrize("answer, state", [
    ("COMPLETED", ("COMPLETED", None)), ('"running"', ("RUNNING", None)), (2, ("COMPLETED", None)), ("3", ("FAILED", None)),
    ({"status": "FAILED", "message": "Stage 3 failed"}, ("FAILED", "Stage 3 failed")),
    ({"executionStatus": 6}, ("KILLED", None)),
])
def test_execution_states(answer, state):
    assert answers.read_execution_status(answer) == state


@pytest.mark.parametrize("answer", ["DONE", 42, None, {"phase": "COMPLETED"}, True])
def test_unknown_execution_states_are_refused(answer):
    with pytest.raises(UnrecognisedAnswer, match="not an execution state"):
        answers.read_execution_status(answer)


# -- no answer makes the client crash ------------------------------------------------------

SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(SCALAR, lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=12), children, max_size=4), max_leaves=12)
KNOWN_KEYS = st.sampled_from(["release", "version", "id", "status", "content", "totalElements", "name", "value",
                              "configKey", "configValue", "executionStatus", "isSuperuser", "last", "message"])
SHAPED = st.recursive(JSON, lambda children: st.dictionaries(KNOWN_KEYS, children, max_size=4) | st.lists(children, max_size=4),
                      max_leaves=12)
BODIES = st.one_of(st.binary(max_size=64), JSON.map(lambda v: json.dumps(v).encode()),
                   SHAPED.map(lambda v: json.dumps(v).encode()), st.just(b""))
CONTENT_TYPES = st.sampled_from(["application/json", "text/html", "text/plain", "", "application/json; charset=utf-8"])

# Each reader of the client, and what a valid result of it is.
READERS = {
    "health": (lambda c: c.health(), lambda r: isinstance(r, str)),
    "release": (lambda c: c.release(), lambda r: isinstance(r[0], str) and answers.RELEASE.match(r[0])),
    "is_admin": (lambda c: c.is_admin(), lambda r: isinstance(r, bool)),
    "configurations": (lambda c: c.configurations().text(),
                       lambda r: all(isinstance(k, str) and isinstance(v, str) for k, v in r.items())),
    "output_models": (lambda c: c.latest_model(c.output_models(), "m") if c.output_models() else {"id": 0},
                      lambda r: isinstance(r, dict) and "id" in r),
    "output_model_by_uuid": (lambda c: c.output_model_by_uuid("u"), lambda r: isinstance(r, dict) and "id" in r),
    "workflow_id": (lambda c: c.workflow_id("w"), lambda r: isinstance(r, int)),
    "execute_workflow": (lambda c: c.execute_workflow(1), lambda r: isinstance(r, int)),
    "execution_status": (lambda c: c.execution_status(1),
                         lambda r: r[0] in answers.EXECUTION_STATES and (r[1] is None or isinstance(r[1], str))),
}


class Canned(SparkflowsClient):
    """The client with its transport answering one canned exchange (no network)."""

    def __init__(self, status, content_type, body):
        super().__init__("http://sparkflows.invalid:8080", api_token="t", retries=0, sleep=lambda s: None)
        self.canned = (status, {"Content-Type": content_type}, body)

    def _open(self, method, path, body=None, headers=None):
        return self.canned


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=st.integers(100, 599), content_type=CONTENT_TYPES, body=BODIES)
def test_any_answer_is_a_valid_result_or_a_clean_error(reader, status, content_type, body):
    read, valid = READERS[reader]
    try:
        result = read(Canned(status, content_type, body))
    except SparkflowsError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    assert valid(result), result
