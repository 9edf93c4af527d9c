"""Log and register a pyfunc model as an MLflow client does, over HTTPS: a version per FACTOR given
(one, of factor 2, when none is), multiplying its input by FACTOR; FACTOR `broken` logs a model
that fails as it loads, `raises` one that loads and fails to score. Usage: log_model.py NAME [FACTOR...] (MLFLOW_TRACKING_URI, _USERNAME,
_PASSWORD, _SERVER_CERT_PATH in the environment). Prints, per version, the run's artifact URI, the
model version and the run's id, as one line of JSON."""

import json
import sys

import mlflow
import mlflow.pyfunc


class Multiply(mlflow.pyfunc.PythonModel):
    def __init__(self, factor):
        self.factor = factor

    def predict(self, context, model_input, params=None):
        return [self.factor * value for value in model_input.iloc[:, 0]]


class Broken(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        raise RuntimeError("this model version fails as it loads")

    def predict(self, context, model_input, params=None):
        return []


class Raises(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        raise RuntimeError("this model version loads and fails to score")


KINDS = {"broken": Broken, "raises": Raises}
name = sys.argv[1]
mlflow.set_experiment("lab-production")
for factor in sys.argv[2:] or ["2"]:
    with mlflow.start_run() as run:
        mlflow.log_metric("accuracy", 0.93)
        model = KINDS[factor]() if factor in KINDS else Multiply(int(factor))
        info = mlflow.pyfunc.log_model(name="model", python_model=model, registered_model_name=name)
    print(json.dumps({"artifact_uri": run.info.artifact_uri, "version": info.registered_model_version,
                      "run_id": run.info.run_id}))
