"""Independent check of TransferKit's linear heads: fits scikit-learn's liblinear-backed models on the same
features and prints their test accuracies as JSON.

Usage: /usr/bin/python3 sklearn_linear.py train.csv test.csv C
Each CSV row: class index, then the feature values. Needs Debian's python3-sklearn.
"""
import json

from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from sklearn_data import arguments


def main():
    x_train, y_train, x_test, y_test, c = arguments()
    lr = LogisticRegression(solver="liblinear", C=c, tol=1e-4).fit(x_train, y_train)
    svm = LinearSVC(C=c, tol=1e-4, dual=True, max_iter=10000).fit(x_train, y_train)
    print(json.dumps({
        "logistic_regression": float((lr.predict(x_test) == y_test).mean()),
        "linear_svm": float((svm.predict(x_test) == y_test).mean()),
    }))


if __name__ == "__main__":
    main()
