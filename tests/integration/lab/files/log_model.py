"""Log and register a pyfunc model (doubles its input) as an MLflow client does, over HTTPS.
Usage: log_model.py NAME (MLFLOW_TRACKING_URI, _USERNAME, _PASSWORD, _SERVER_CERT_PATH in the
environment). Prints the run's artifact URI and the model version, as JSON."""

import json
import sys

import mlflow
import mlflow.pyfunc


class Double(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [2 * value for value in model_input.iloc[:, 0]]


name = sys.argv[1]
mlflow.set_experiment("lab-production")
with mlflow.start_run() as run:
    mlflow.log_metric("accuracy", 0.93)
    info = mlflow.pyfunc.log_model(name="model", python_model=Double(), registered_model_name=name)
print(json.dumps({"artifact_uri": run.info.artifact_uri, "version": info.registered_model_version,
                  "run_id": run.info.run_id}))
