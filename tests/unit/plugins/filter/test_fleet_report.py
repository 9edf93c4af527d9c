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


def mlflow_host(model_uri, state, tls=True, status=200):
    """report.yml's read of an MLflow host serving model lab-cd (inventory's model_uri) on 5002,
    with the host's models/served.json (state)."""
    return {"tracking_port": 5000, "tracking": {"status": 200}, "tls": tls, "served_state": state,
            "served": [{"item": {"name": "lab-cd", "model_uri": model_uri, "port": 5002}, "status": status}]}


SERVED = {"lab-cd": {"live": "green", "blue": {"uri": "models:/lab-cd/1", "port": 5002},
                     "green": {"uri": "models:/lab-cd/2", "port": 5002}}}


def test_a_served_model_shows_the_version_it_serves_its_slot_and_the_one_kept_for_a_switch_back():
    report = fleet_report({"mlflow": {"m1": mlflow_host("models:/lab-cd@champion", SERVED)}})
    served = report["mlflow"]["m1"]["served"][0]
    assert (served["model_uri"], served["slot"], served["standby_uri"]) == ("models:/lab-cd/2", "green", "models:/lab-cd/1")
    # An alias moves with the registry: what it served at the last run is shown, never drifting.
    assert (served["drift"], report["red"]) == ([], [])


def test_a_served_model_serving_another_version_than_the_inventory_pins_is_red_as_drifting():
    report = fleet_report({"mlflow": {"m1": mlflow_host("models:/lab-cd/3", SERVED)}})
    assert report["mlflow"]["m1"]["served"][0]["drift"] == ["serves models:/lab-cd/2 instead of models:/lab-cd/3"]
    # Every model answers, yet the row is red, as the report's summary says.
    assert (report["mlflow"]["m1"]["healthy"], report["mlflow"]["m1"]["red"]) == (True, True)
    assert report["red"] == ["m1/mlflow"]
    pinned = fleet_report({"mlflow": {"m1": mlflow_host("models:/lab-cd/2", SERVED)}})
    assert (pinned["mlflow"]["m1"]["drift"], pinned["red"]) == ([], [])


def test_without_tls_the_one_slot_serves_and_nothing_stands_by():
    state = {"lab-cd": {"live": "blue", "blue": {"uri": "models:/lab-cd/1", "port": 5002}}}
    served = fleet_report({"mlflow": {"m1": mlflow_host("models:/lab-cd/1", state, tls=False)}})["mlflow"]["m1"]["served"][0]
    assert (served["model_uri"], served["slot"], served["standby_uri"], served["drift"]) == ("models:/lab-cd/1", "blue", None, [])
    # A state that names green, read without TLS (the proxy gone), still means the one slot, blue.
    greened = dict(state["lab-cd"], live="green", green={"uri": "models:/lab-cd/2", "port": 5002})
    served = fleet_report({"mlflow": {"m1": mlflow_host("models:/lab-cd/1", {"lab-cd": greened}, tls=False)}})
    assert (served["mlflow"]["m1"]["served"][0]["model_uri"], served["red"]) == ("models:/lab-cd/1", [])


def test_a_served_model_without_kept_state_shows_no_version_and_does_not_drift():
    served = fleet_report({"mlflow": {"m1": mlflow_host("models:/lab-cd/3", {})}})["mlflow"]["m1"]["served"][0]
    assert (served["model_uri"], served["slot"], served["standby_uri"], served["drift"]) == (None, None, None, [])


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


SERVER = "https://sparkflows.example.net:8443"
MLFLOW = {"tracking_url": "http://mlflow1:5000", "deploy_mode": "remote", "username": "admin",
          "password": "********", "fire_mlops_host": "", "fire_mlops_port": "", "ssh_key_path": "/k/id_ed25519"}


def server(release="3.1.0", health="UP", url=SERVER, mlflow=None, **info):
    """report.yml's Sparkflows state: sparkflows_info's answer (mlflow: true) and the server's URL."""
    answer = dict({"release": release, "health": health, "mlflow": dict(mlflow or MLFLOW)}, **info)
    return {"url": url, "info": answer, "workflow": {}}


def scorer_host(*reads, url=SERVER, tag_format="{release}", allowed=False, release="3.1.0"):
    return dict(scorers(*reads, release=release), sparkflows_url=url, image_tag_format=tag_format,
                allow_release_mismatch=allowed)


def test_the_sparkflows_row_shows_the_server_its_release_and_mlflow_configuration():
    report = fleet_report({"sparkflows": {"f1": server(url="https://ops:Pa55@sparkflows.example.net:8443/")},
                           "scorers": {"s1": scorer_host(read())}})
    row = report["sparkflows"]["f1"]
    assert (row["url"], row["health"], row["up"], row["release"]) == (SERVER, "UP", True, "3.1.0")
    assert row["mlflow"] == MLFLOW
    # What the page lists: the options set, in the key map's order.
    assert [m["option"] for m in row["mlflow_set"]] == ["tracking_url", "deploy_mode", "username", "password",
                                                        "ssh_key_path"]
    assert report["red"] == [] and row["red"] is False and row["images_match"] is True
    assert row["images"][0]["state"] == "tag 3.1.0"


def test_a_secret_that_reached_the_filter_in_clear_is_masked():
    clear = dict(MLFLOW, password="Hidden-Pa55", s3_secret_key="S3-Secret")
    report = fleet_report({"sparkflows": {"f1": server(mlflow=clear)}})
    row = report["sparkflows"]["f1"]
    assert (row["mlflow"]["password"], row["mlflow"]["s3_secret_key"]) == ("********", "********")
    assert "Hidden-Pa55" not in str(report) and "S3-Secret" not in str(report)


def test_a_server_that_does_not_answer_up_is_red():
    down = {"url": SERVER, "workflow": {},
            "info": {"msg": "GET %s/healthcheck: connection refused" % SERVER, "failed_when_result": False}}
    unreadable = server(msg="GET %s/api/v1/configurations: unrecognised answer" % SERVER)
    report = fleet_report({"sparkflows": {"f1": down, "f2": server(health="DOWN"), "f3": unreadable,
                                          "f4": server()}})
    assert report["red"] == ["f1/sparkflows", "f2/sparkflows", "f3/sparkflows"]
    first = report["sparkflows"]["f1"]
    assert (first["health"], first["up"], first["mlflow"], first["mlflow_set"]) == ("not answering", False, None, [])
    assert "connection refused" in first["health_message"]
    assert report["sparkflows"]["f4"]["health_message"] is None


def test_a_scorer_image_not_of_the_servers_release_is_red():
    # Pinned to 3.0.0 (scorer_sparkflows_release), the scorer itself is green: only the server sees it.
    old = read(image="registry:5000/sparkflows/scorer:3.0.0", release="3.0.0")
    report = fleet_report({"sparkflows": {"f1": server()},
                           "scorers": {"s1": scorer_host(read()), "s2": scorer_host(old, release="3.0.0")}})
    assert report["red"] == ["f1/image/s2/churn-model"]
    images = report["sparkflows"]["f1"]["images"]
    assert [(i["id"], i["tag"], i["expected_tag"], i["match"], i["red"]) for i in images] == [
        ("s1/churn-model", "3.1.0", "3.1.0", True, False), ("s2/churn-model", "3.0.0", "3.1.0", False, True)]
    assert images[1]["state"] == "tag 3.0.0 is not 3.1.0"
    assert report["sparkflows"]["f1"]["images_match"] is False and report["sparkflows"]["f1"]["red"] is True


def test_the_tag_follows_the_hosts_format_and_an_allowed_mismatch_is_not_red():
    formatted = read(image="registry:5000/sparkflows/scorer:py_3.1.0")
    plain = read(image="registry:5000/sparkflows/scorer:3.1.0")
    other = read(image="registry:5000/sparkflows/scorer:3.1.0-hotfix")
    report = fleet_report({"sparkflows": {"f1": server()}, "scorers": {
        "s1": scorer_host(formatted, tag_format="py_{release}"), "s2": scorer_host(plain, tag_format="py_{release}"),
        "s3": scorer_host(other, allowed=True)}})
    assert report["red"] == ["f1/image/s2/churn-model"]
    images = dict((i["id"], i) for i in report["sparkflows"]["f1"]["images"])
    assert images["s1/churn-model"]["match"] is True
    assert images["s2/churn-model"]["expected_tag"] == "py_3.1.0"
    assert (images["s3/churn-model"]["match"], images["s3/churn-model"]["allowed"]) == (False, True)
    assert images["s3/churn-model"]["state"] == "tag 3.1.0-hotfix is not 3.1.0 (allowed by scorer_allow_release_mismatch)"


def test_an_image_by_digest_is_judged_by_the_release_it_was_deployed_for():
    digest = "registry:5000/sparkflows/scorer@sha256:" + "b" * 64
    report = fleet_report({"sparkflows": {"f1": server()}, "scorers": {
        "s1": scorer_host(read(image=digest)), "s2": scorer_host(read(image=digest, release="3.0.0"), release="3.0.0")}})
    assert report["red"] == ["f1/image/s2/churn-model"]
    images = report["sparkflows"]["f1"]["images"]
    assert [(i["tag"], i["match"]) for i in images] == [(None, True), (None, False)]
    assert images[1]["state"] == "by digest, deployed for release 3.0.0, not 3.1.0"


def test_only_running_scorers_of_hosts_using_the_server_are_compared():
    old = read(image="registry:5000/sparkflows/scorer:3.0.0")
    stopped = read(image="registry:5000/sparkflows/scorer:3.0.0", running=False, healthy=False, score=None, health=None)
    report = fleet_report({"sparkflows": {"f1": server()}, "scorers": {
        "elsewhere": scorer_host(old, url="https://other-sparkflows:8443"), "s1": scorer_host(stopped)}})
    assert report["sparkflows"]["f1"]["images"] == []
    # The stopped scorer is red as itself, not as an image.
    assert report["red"] == ["s1/churn-model"]


def test_under_a_limit_without_scorer_hosts_no_image_is_judged():
    report = fleet_report({"sparkflows": {"f1": server()}, "scorers": {}})
    assert (report["sparkflows"]["f1"]["images"], report["red"]) == ([], [])


def test_a_served_models_uris_are_shown_without_a_user_or_password():
    state = {"lab-cd": {"live": "blue", "blue": {"uri": "https://reader:S3cret-Pw@models.example.net/lab-cd/1", "port": 5002},
                        "green": {"uri": "https://reader:S3cret-Pw@models.example.net/lab-cd/0", "port": 5002}}}
    report = fleet_report({"mlflow": {"m1": mlflow_host("https://reader:S3cret-Pw@models.example.net/lab-cd/2", state)}})
    assert "S3cret-Pw" not in repr(report)
    served = report["mlflow"]["m1"]["served"][0]
    assert (served["model_uri"], served["standby_uri"], served["drift"]) == (
        "https://models.example.net/lab-cd/1", "https://models.example.net/lab-cd/0",
        ["serves https://models.example.net/lab-cd/1 instead of https://models.example.net/lab-cd/2"])
