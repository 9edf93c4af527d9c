"""Train a one-feature linear model (y = 2x) and register it under the given name, once.
Usage: register_model.py NAME ENV_FILE (MLFLOW_TRACKING_* lines, read into the environment)."""

import os
import sys

import mlflow
import numpy as np
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LinearRegression

name = sys.argv[1]
with open(sys.argv[2]) as settings:
    os.environ.update(line.strip().split("=", 1) for line in settings if "=" in line)
client = mlflow.MlflowClient()
try:
    client.get_registered_model(name)
    print("present")
    sys.exit(0)
except MlflowException:
    pass
features = np.array([[1.0], [2.0], [3.0]])
model = LinearRegression().fit(features, 2 * features[:, 0])
with mlflow.start_run():
    mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=features[:1])
print("registered")
