"""Batch scoring driver: init() once per worker, run() per mini-batch of files; returned rows are appended to predictions.csv."""
import os

import joblib
import pandas as pd

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.pkl"))


def run(mini_batch):
    results = []
    for path in mini_batch:
        data = pd.read_csv(path)
        features = data.drop(columns=["target"], errors="ignore")
        for index, prediction in enumerate(model.predict(features)):
            results.append(f"{os.path.basename(path)},{index},{prediction}")
    return results
