"""The fleet report's shape and what counts as red, from what report.yml's plays read."""

import datetime

from ansible_collections.sparkflows.mlops.plugins.filter.fleet_report import fleet_report

CHURN = {"name": "churn-model", "model_id": 101, "host_port": 8081}


def read(**overrides):
    """scorer_info's answer for a healthy churn-model scorer, with overrides."""
    scorer = {"name": "sparkflows-scorer-churn-model", "exists": True, "running": True, "healthy": True,
              "image": "registry:5000/sparkflows/scorer:3.1.0", "release": "3.1.0", "model_id": "101",
              "model_sha256": "a" * 64, "health": {"status": 200, "seconds": 0.002, "response": "ok"},
              "score": {"status": 200, "seconds": 0.0123, "response": '{"predictions": [0]}'}}
    scorer.update(overrides)
    return scorer


def scorers(*reads, release="3.1.0"):
    return {"release": release, "results": [{"item": CHURN, "scorers": [r]} for r in reads]}


def test_a_healthy_scorer_is_green_and_timed():
    report = fleet_report({"scorers": {"scorer1": scorers(read())}})
    assert report["red"] == []
    record = report["scorers"]["scorer1"][0]
    assert (record["id"], record["score_status"], record["score_ms"], record["prediction"]) \
        == ("scorer1/churn-model", 200, 12.3, '{"predictions": [0]}')


def test_generated_carries_its_time_zone():
    generated = datetime.datetime.fromisoformat(fleet_report({})["generated"])
    assert generated.utcoffset() == datetime.timedelta(0)


def test_missing_stopped_and_failing_scorers_are_red():
    report = fleet_report({"scorers": {
        "a": scorers({"name": "x", "exists": False, "running": False, "healthy": False}),
        "b": scorers(read(running=False, healthy=False, health=None, score=None)),
        "c": scorers(read(healthy=False, score={"status": 500, "seconds": 0.1, "response": "boom"})),
    }})
    assert report["red"] == ["a/churn-model", "b/churn-model", "c/churn-model"]
    assert [report["scorers"][h][0]["score_status"] for h in "abc"] == [0, 0, 500]


def test_a_scorer_on_another_release_or_model_is_red_as_drifting():
    report = fleet_report({"scorers": {"s": scorers(read(release="3.0.0", model_id="102"))}})
    assert report["scorers"]["s"][0]["drift"] == ["release 3.0.0 instead of 3.1.0", "model 102 instead of 101"]
    assert report["red"] == ["s/churn-model"]


def test_mlflow_red_when_tracking_or_a_served_model_does_not_answer():
    served = [{"item": {"name": "churn", "port": 5001}, "status": 200}, {"item": {"name": "up", "port": 5002}, "status": -1}]
    report = fleet_report({"mlflow": {"m1": {"tracking_port": 5000, "tracking": {"status": 200}, "served": served},
                                      "m2": {"tracking_port": 5000, "tracking": {"status": 200}, "served": served[:1]}}})
    assert report["red"] == ["m1/mlflow"]
    assert report["mlflow"]["m1"]["served_status"] == [200, -1]


def test_a_failed_score_workflow_is_red_and_a_preview_is_not():
    info = {"release": "3.1.0", "health": "UP"}
    failed = {"name": "score-broken", "status": "FAILED", "msg": "Workflow score-broken (execution 9) ended FAILED"}
    preview = {"name": "score-churn", "status": None, "changed": True}
    skipped = {"name": "", "skipped": True}
    report = fleet_report({"sparkflows": {"f1": {"info": info, "workflow": failed}, "f2": {"info": info, "workflow": preview},
                                          "f3": {"info": info, "workflow": skipped}}})
    assert report["red"] == ["f1/workflow"]
    assert (report["sparkflows"]["f1"]["workflow_status"], report["sparkflows"]["f3"]["workflow"]) == ("FAILED", None)
    assert "ended FAILED" in report["sparkflows"]["f1"]["message"]
