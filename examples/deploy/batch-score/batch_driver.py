"""Batch scoring driver: init() once per worker, run() per mini-batch of files; returned rows are appended to predictions.csv."""
import glob
import os

import joblib
import pandas as pd

model = None


def init():
    global model
    # The model file may sit in a subfolder of AZUREML_MODEL_DIR (an MLflow model's folder, for example).
    found = glob.glob(os.path.join(os.environ["AZUREML_MODEL_DIR"], "**", "model.pkl"), recursive=True)
    if not found:
        raise FileNotFoundError("model.pkl was not found under AZUREML_MODEL_DIR")
    model = joblib.load(found[0])


def run(mini_batch):
    results = []
    for path in mini_batch:
        data = pd.read_csv(path)
        features = data.drop(columns=["target"], errors="ignore")
        for index, prediction in enumerate(model.predict(features)):
            results.append(f"{os.path.basename(path)},{index},{prediction}")
    return results
