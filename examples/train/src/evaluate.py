"""Scores an MLflow model on the test set and writes the r2 to a small JSON report."""
import argparse
import json
import os

import mlflow
import pandas as pd
from sklearn.metrics import r2_score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--report", required=True)
    args = parser.parse_args()

    df = pd.read_csv(args.data)
    model = mlflow.sklearn.load_model(args.model)
    r2 = r2_score(df["target"], model.predict(df.drop(columns=["target"])))
    mlflow.log_metric("test_r2", r2)
    os.makedirs(args.report, exist_ok=True)
    with open(os.path.join(args.report, "report.json"), "w", encoding="utf-8") as f:
        json.dump({"r2": r2}, f)


if __name__ == "__main__":
    main()
