"""Verify the scorer role on the converged instance (testinfra): the container of churn-model
runs the image of the Sparkflows release with the model and scores on its published port (the
check-mode preview: molecule/resources/tests/)."""

import json

SAMPLE = {"columns": ["age", "plan"], "data": [[42, "gold"]]}


def test_the_scorer_runs_the_release_image_with_the_model(host):
    inspected = json.loads(host.check_output("docker inspect sparkflows-scorer-churn-model"))[0]
    assert inspected["State"]["Running"] is True
    assert inspected["Config"]["Image"] == "sfmlops/molecule-scorer:3.1.0"
    labels = inspected["Config"]["Labels"]
    assert (labels["io.sparkflows.release"], labels["io.sparkflows.model.id"]) == ("3.1.0", "101")


def test_it_scores_on_the_published_port(host):
    answer = host.check_output("curl -fsS --max-time 10 -X POST -H 'Content-Type: application/json' -d '%s' "
                               "http://127.0.0.1:8081/predict" % json.dumps(SAMPLE))
    assert json.loads(answer) == {"predictions": [0]}
