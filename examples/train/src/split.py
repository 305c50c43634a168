"""Splits the diabetes CSV into a training and a test set, each written as <folder>/<name>.csv."""
import argparse
import os

import pandas as pd
from sklearn.model_selection import train_test_split


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    args = parser.parse_args()

    df = pd.read_csv(args.data)
    train, test = train_test_split(df, test_size=0.2, random_state=0)
    os.makedirs(args.train, exist_ok=True)
    os.makedirs(args.test, exist_ok=True)
    train.to_csv(os.path.join(args.train, "train.csv"), index=False)
    test.to_csv(os.path.join(args.test, "test.csv"), index=False)


if __name__ == "__main__":
    main()
