"""Scoring script of the sample linear model: init() once per container, run() per request (the Azure ML inference server contract).

Needs only the Python standard library, so the packaged image and the tests run it anywhere.
"""
import json
import os

weights = None


def init():
    global weights
    # AZUREML_MODEL_DIR is where the registered model's files are, with their folders kept.
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "nested", "weights.json"), encoding="utf-8") as f:
        weights = json.load(f)


def run(raw_data):
    rows = json.loads(raw_data)["input_data"]
    width = len(weights["coefficients"])
    for row in rows:
        if len(row) != width:
            return {"error": f"each row needs {width} values ({', '.join(weights['features'])}), got {len(row)}"}
    predictions = [weights["intercept"] + sum(c * x for c, x in zip(weights["coefficients"], row)) for row in rows]
    return {"predictions": predictions}
