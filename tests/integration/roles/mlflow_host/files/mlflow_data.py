"""Write, or read back, what an upgrade must keep: an experiment, a run with a parameter and a
metric, a registered model version and a basic-auth user. Runs with the MLflow of the host
(MLflow 2 to write, whatever version serves to read), on http://127.0.0.1:PORT as the admin.
Usage: mlflow_data.py write|read PORT ADMIN_PASSWORD; prints JSON."""

import json
import sys

import requests

action, port, password = sys.argv[1], sys.argv[2], sys.argv[3]
base = "http://127.0.0.1:%s" % port
auth = ("admin", password)


def call(method, path, **kwargs):
    answer = requests.request(method, base + path, auth=auth, timeout=60, **kwargs)
    answer.raise_for_status()
    return answer.json() if answer.content else {}


if action == "write":
    import mlflow
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    import os
    os.environ.update(MLFLOW_TRACKING_URI=base, MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=password)
    mlflow.set_experiment("upgrade-check")
    with mlflow.start_run(run_name="before-upgrade") as run:
        mlflow.log_param("alpha", "0.5")
        mlflow.log_metric("rmse", 0.25)
        mlflow.pyfunc.log_model("model", python_model=Echo(), registered_model_name="upgrade-model")
    call("POST", "/api/2.0/mlflow/users/create", json={"username": "reader", "password": "Reader-Passw0rd-1"})
    print(json.dumps({"run_id": run.info.run_id}))
else:
    experiment = call("GET", "/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": "upgrade-check"})
    runs = call("POST", "/api/2.0/mlflow/runs/search",
                json={"experiment_ids": [experiment["experiment"]["experiment_id"]]})["runs"]
    versions = call("GET", "/api/2.0/mlflow/registered-models/get", params={"name": "upgrade-model"})
    user = call("GET", "/api/2.0/mlflow/users/get", params={"username": "reader"})
    reader = requests.get(base + "/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                          auth=("reader", "Reader-Passw0rd-1"), timeout=60)
    version = requests.get(base + "/version", auth=auth, timeout=60).text
    print(json.dumps({
        "experiment": experiment["experiment"]["name"],
        "runs": [{"id": r["info"]["run_id"], "name": r["info"].get("run_name"),
                  "params": {p["key"]: p["value"] for p in r["data"].get("params", [])},
                  "metrics": {m["key"]: m["value"] for m in r["data"].get("metrics", [])}} for r in runs],
        "model_versions": [v["version"] for v in versions["registered_model"].get("latest_versions", [])],
        "user": user["user"]["username"], "reader_logs_in": reader.status_code, "mlflow": version,
    }))
