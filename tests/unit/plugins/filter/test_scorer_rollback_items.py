"""scorer_rollback_items: what a rollback runs, from scorer_info's scorers with their previous
version - refused as a whole, naming the scorers, when one of them cannot be rolled back."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sparkflows.mlops.plugins.filter.scorer_rollback_items import scorer_rollback_items

CHURN = {"name": "churn-model", "model_id": 101, "host_port": 8081}
UPSELL = {"name": "upsell", "model_id": 102, "host_port": 8082}
DIGEST = "sha256:" + "1" * 64


def previous(**overrides):
    record = {"scorer": "churn-model", "outcome": "deployed", "kept_model": "/var/lib/sparkflows-scorer/models/churn-model/"
              + "a" * 64 + ".zip", "model_sha256": "a" * 64, "model_id": "100", "image_digest": DIGEST, "release": "3.0.0"}
    record.update(overrides)
    return record


def scorer(name="churn-model", exists=True, **prev):
    return {"name": "sparkflows-scorer-" + name, "scorer": name, "exists": exists,
            "previous": previous(scorer=name, **prev) if exists else None}


def test_the_previous_version_in_the_shape_role_scorer_runs():
    assert scorer_rollback_items([scorer()], [CHURN], ["churn-model"]) == [dict(
        name="churn-model", host_port=8081, model_path="/var/lib/sparkflows-scorer/models/churn-model/" + "a" * 64 + ".zip",
        model_sha256="a" * 64, model_id="100", image_digest=DIGEST, release="3.0.0")]


@pytest.mark.parametrize("selection", [None, []])
def test_no_selection_rolls_back_every_listed_model_by_name(selection):
    items = scorer_rollback_items([scorer("upsell"), scorer()], [UPSELL, CHURN], selection)
    assert [i["name"] for i in items] == ["churn-model", "upsell"]


def test_only_the_selected_models_are_rolled_back():
    items = scorer_rollback_items([scorer(), scorer("upsell", image_digest=None)], [CHURN, UPSELL], ["churn-model"])
    assert [i["name"] for i in items] == ["churn-model"]


@pytest.mark.parametrize("selection", ["churn-model,upsell", "churn-model, upsell", ["churn-model", "upsell"]])
def test_a_text_selection_is_comma_separated_names_as_from_the_shell(selection):
    items = scorer_rollback_items([scorer("upsell"), scorer()], [UPSELL, CHURN, {"name": "fraud"}], selection)
    assert [i["name"] for i in items] == ["churn-model", "upsell"]


def test_a_name_given_as_a_number_is_refused_naming_it_like_any_unlisted_one():
    with pytest.raises(AnsibleFilterError, match=r"^no listed model 101 on this host \(listed: churn-model\)$"):
        scorer_rollback_items([scorer()], [CHURN], [101])


def test_an_unlisted_model_is_refused_naming_it():
    with pytest.raises(AnsibleFilterError, match=r"^no listed model fraud, typo on this host \(listed: churn-model, upsell\)$"):
        scorer_rollback_items([scorer()], [CHURN, UPSELL], ["churn-model", "fraud", "typo"])


def test_a_scorer_without_a_previous_version_is_refused_and_nothing_changes():
    no_previous = dict(scorer(), previous=None)
    with pytest.raises(AnsibleFilterError) as error:
        scorer_rollback_items([no_previous, scorer("upsell")], [CHURN, UPSELL])
    assert str(error.value) == ("cannot roll back: churn-model: no earlier version that served is kept in the deployment "
                                "history; nothing was changed")


def test_every_scorer_that_cannot_be_rolled_back_is_named_at_once():
    with pytest.raises(AnsibleFilterError) as error:
        scorer_rollback_items([scorer(exists=False), scorer("upsell", kept_model=None)], [CHURN, UPSELL])
    assert str(error.value) == ("cannot roll back: churn-model has no scorer here; upsell: the model file of its previous "
                                "version was not kept; nothing was changed")


def test_a_scorer_missing_from_the_read_has_no_scorer_here():
    with pytest.raises(AnsibleFilterError, match="cannot roll back: upsell has no scorer here; nothing was changed"):
        scorer_rollback_items([scorer()], [CHURN, UPSELL])


def test_a_previous_version_without_an_image_digest_is_refused_with_the_others():
    with pytest.raises(AnsibleFilterError, match=r"^cannot roll back: churn-model: no image digest was recorded \(an image "
                                                 r"never pulled from a registry\); upsell has no scorer here; nothing was changed$"):
        scorer_rollback_items([scorer(image_digest=None)], [CHURN, UPSELL])


@pytest.mark.parametrize("scorers, models", [(None, [CHURN]), ([scorer()], None), ({"scorers": []}, [CHURN])])
def test_anything_but_two_lists_is_refused(scorers, models):
    with pytest.raises(AnsibleFilterError, match="a rollback takes the scorers read and the listed models"):
        scorer_rollback_items(scorers, models)
