"""Scoring script of the diabetes model: init() once per container, run() per request (the Azure ML inference server contract)."""
import json
import os

import joblib
import numpy as np

model = None


def init():
    global model
    # AZUREML_MODEL_DIR is the folder the registered model's files are mounted in.
    model_dir = os.environ["AZUREML_MODEL_DIR"]
    model = joblib.load(os.path.join(model_dir, "model", "model.pkl"))


def run(raw_data):
    rows = json.loads(raw_data)["input_data"]
    predictions = model.predict(np.array(rows))
    return {"predictions": predictions.tolist()}
