"""Trains a ridge regression on the diabetes data set and saves it as an MLflow model."""
import argparse

import mlflow
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.metrics import r2_score


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--model-dir", required=True)
    args = parser.parse_args()

    df = pd.read_csv(args.data)
    x, y = df.drop(columns=["target"]), df["target"]
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    model = Ridge(alpha=args.alpha).fit(x_train, y_train)
    mlflow.log_metric("r2", r2_score(y_test, model.predict(x_test)))
    mlflow.sklearn.save_model(model, args.model_dir)


if __name__ == "__main__":
    main()
