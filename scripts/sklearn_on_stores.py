"""Trains scikit-learn's logistic regression on the same HDF5 feature stores TransferKit wrote, as an independent
check of TransferKit's own head. Prints accuracy and balanced accuracy as JSON.

Usage: /usr/bin/python3 scripts/sklearn_on_stores.py TRAIN.h5 TEST.h5 [C] [balanced]
Needs Debian's python3-h5py and python3-sklearn (apt-get install python3-h5py python3-sklearn).
"""
import json
import sys

import h5py
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score


def load(path):
    with h5py.File(path, "r") as f:
        rows = int(f.attrs["committed_rows"]) if "committed_rows" in f.attrs else f["features"].shape[0]
        return np.asarray(f["features"][:rows], dtype=np.float64), np.asarray(f["labels"][:rows])


def main():
    x_train, y_train = load(sys.argv[1])
    x_test, y_test = load(sys.argv[2])
    c = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    class_weight = "balanced" if len(sys.argv) > 4 and sys.argv[4] == "balanced" else None
    model = LogisticRegression(solver="liblinear", C=c, tol=1e-4, class_weight=class_weight).fit(x_train, y_train)
    predicted = model.predict(x_test)
    print(json.dumps({
        "train_rows": int(len(y_train)),
        "test_rows": int(len(y_test)),
        "C": c,
        "class_weight": class_weight,
        "accuracy": float(accuracy_score(y_test, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y_test, predicted)),
    }))


if __name__ == "__main__":
    main()
