"""Train a one-feature linear model (y = 2x) and register it under the given name, once."""

import sys

import mlflow
import numpy as np
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LinearRegression

name = sys.argv[1]
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
