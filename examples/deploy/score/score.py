"""Scoring script of the diabetes model: init() once per container, run() per request (the Azure ML inference server contract)."""
import glob
import json
import os

import joblib
import numpy as np

model = None


def init():
    global model
    # AZUREML_MODEL_DIR is the folder the registered model's files are mounted in; the model file may sit in a
    # subfolder (an MLflow model's folder, for example).
    found = glob.glob(os.path.join(os.environ["AZUREML_MODEL_DIR"], "**", "model.pkl"), recursive=True)
    if not found:
        raise FileNotFoundError("model.pkl was not found under AZUREML_MODEL_DIR")
    model = joblib.load(found[0])


def run(raw_data):
    rows = json.loads(raw_data)["input_data"]
    predictions = model.predict(np.array(rows))
    return {"predictions": predictions.tolist()}
