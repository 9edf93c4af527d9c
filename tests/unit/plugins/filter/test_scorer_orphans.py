"""scorer_orphans: the scorer containers whose model is no longer listed, and which of their
model files may be removed."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_orphans import FilterModule, scorer_orphans

PREFIX = "sparkflows-scorer-"
MODELS_DIR = "/srv/sparkflows-scorer/models"


def scorer(model, model_path=None):
    return {"name": PREFIX + model, "exists": True, "model_path": model_path}


def test_a_scorer_whose_model_is_not_listed_is_an_orphan_with_its_model_file():
    found = scorer_orphans([scorer("churn-model", MODELS_DIR + "/churn-model.zip"), scorer("old", MODELS_DIR + "/old.zip")],
                           [{"name": "churn-model"}], PREFIX, MODELS_DIR)
    assert found == [{"container": PREFIX + "old", "scorer": "old", "leftover": False, "model_path": MODELS_DIR + "/old.zip"}]


def test_a_model_listed_absent_is_an_orphan():
    found = scorer_orphans([scorer("old", MODELS_DIR + "/old.zip")], [{"name": "old", "state": "absent"}], PREFIX, MODELS_DIR)
    assert [o["scorer"] for o in found] == ["old"]


def test_the_blue_green_leftovers_of_a_listed_model_are_not_orphans():
    scorers = [scorer("churn-model-candidate"), scorer("churn-model-retired"), scorer("old-candidate"), scorer("old-retired")]
    found = scorer_orphans(scorers, [{"name": "churn-model"}], PREFIX, MODELS_DIR)
    # Those of a model no longer listed are orphans, marked as leftovers: the model's kept
    # versions go with the model's own scorer, not with them.
    assert [(o["container"], o["leftover"]) for o in found] == [(PREFIX + "old-candidate", True), (PREFIX + "old-retired", True)]


def test_containers_of_another_prefix_are_ignored():
    scorers = [{"name": "other-app-old", "model_path": MODELS_DIR + "/x.zip"}, {"name": None}, {}]
    assert scorer_orphans(scorers, [], PREFIX, MODELS_DIR) == []


@pytest.mark.parametrize("path", [
    "/var/lib/sparkflows-scorer/models/old/" + "a" * 64 + ".zip",  # a kept version of the history
    "/srv/sparkflows-scorer/models-old/old.zip",                     # a sibling whose name starts alike
    MODELS_DIR + "/../etc/passwd",                                   # out of it once normalised
    "old.zip",
    None,
])
def test_a_model_file_out_of_the_models_dir_is_not_offered_for_removal(path):
    assert scorer_orphans([scorer("old", path)], [], PREFIX, MODELS_DIR)[0]["model_path"] is None


@pytest.mark.parametrize("models_dir", [MODELS_DIR, MODELS_DIR + "/", MODELS_DIR + "/./"])
def test_a_model_file_in_the_models_dir_is_offered_however_the_dir_is_written(models_dir):
    path = MODELS_DIR + "/old.zip"
    assert scorer_orphans([scorer("old", path)], [], PREFIX, models_dir)[0]["model_path"] == path


@pytest.mark.parametrize("scorers, models", [(None, []), ({"scorers": []}, []), ([], None), ([], {"name": "churn-model"})])
def test_anything_but_two_lists_is_refused(scorers, models):
    with pytest.raises(AnsibleFilterError, match="scorer_orphans takes the scorers read and the scorer_models list"):
        scorer_orphans(scorers, models, PREFIX, MODELS_DIR)


def test_the_filter_is_registered():
    assert FilterModule().filters() == {"scorer_orphans": scorer_orphans}
