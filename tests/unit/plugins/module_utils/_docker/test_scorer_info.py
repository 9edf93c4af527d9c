"""scorer_info's reading of a container, against the recorded `docker inspect` of one the
scorer_container module made, and a fake engine for the listing."""

import copy
import json
import pathlib

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sparkflows.mlops.plugins.module_utils._common.module import ModuleFailure
from ansible_collections.sparkflows.mlops.plugins.module_utils._scorer import labels as label_keys
from ansible_collections.sparkflows.mlops.plugins.module_utils._docker.container_info import (
    ARGUMENT_SPEC,
    describe,
    managed_names,
    run,
)

RECORDED = json.loads((pathlib.Path(__file__).parent.parent / "fixtures" / "scorer_container_inspect.json").read_text())


def test_a_running_scorer_is_read_from_its_labels_and_published_port():
    scorer = describe(RECORDED, "sc-test", 8080)
    assert (scorer["name"], scorer["running"], scorer["release"], scorer["model_id"], scorer["url"]) \
        == ("sc-test", True, "3.1.0", "101", "http://127.0.0.1:18501")
    assert set(scorer["labels"]) == {label_keys.MANAGED, label_keys.MODEL_ID, label_keys.MODEL_SHA256,
                                     label_keys.RELEASE, label_keys.ENV_NAMES}


def test_a_stopped_scorer_has_no_url_and_a_missing_one_is_said_so():
    stopped = copy.deepcopy(RECORDED)
    stopped["State"].update(Running=False, Status="exited")
    assert (describe(stopped, "sc-test", 8080)["url"], describe(stopped, "sc-test", 8080)["status"]) == (None, "exited")
    assert describe(None, "nope", 8080) == {"name": "nope", "exists": False, "running": False}


class FakeEngine(object):
    def __init__(self):
        self.asked = None

    def containers(self, all=False, filters=None):  # pylint: disable=redefined-builtin  # the SDK's names
        self.asked = (all, filters)
        return [{"Names": ["/scorer-b"]}, {"Names": ["/scorer-a"]}]


def test_the_listing_asks_for_every_container_the_module_made():
    engine = FakeEngine()
    assert managed_names(engine) == ["scorer-a", "scorer-b"]
    assert engine.asked == (True, {"label": "%s=%s" % (label_keys.MANAGED, label_keys.MANAGED_BY)})


def test_a_secret_looking_label_is_masked_and_the_env_never_returned():
    secret = copy.deepcopy(RECORDED)
    secret["Config"]["Labels"]["io.sparkflows.api_token"] = "label-secret-4d2b"
    secret["Config"]["Env"] = ["DB_PASSWORD=env-secret-7f3a"]
    scorer = describe(secret, "sc-test", 8080)
    assert scorer["labels"]["io.sparkflows.api_token"] == "********"
    assert scorer["labels"][label_keys.MODEL_ID] == "101"
    assert "secret-" not in json.dumps(scorer)


def test_a_docker_host_nothing_answers_at_is_one_clear_failure(tmp_path, fake_host):
    """A missing socket: the SDK's connection error becomes one line naming docker_host."""
    socket = "unix://%s" % (tmp_path / "no-docker.sock")
    params = ArgumentSpecValidator(ARGUMENT_SPEC).validate({"docker_host": socket, "docker_timeout": 5}).validated_parameters
    with pytest.raises(ModuleFailure, match="cannot reach the Docker Engine at %s: " % socket):
        run(params, False, fake_host)
