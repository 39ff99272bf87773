"""What the scikit-learn checks share: reading the training and test CSV files and C from the command line.

Each CSV row: class index, then the feature values.
"""
import sys

import numpy as np


def load(path):
    data = np.loadtxt(path, delimiter=",", dtype=np.float64)
    return data[:, 1:], data[:, 0].astype(int)


def arguments():
    """Returns x_train, y_train, x_test, y_test and C from sys.argv[1:4]."""
    x_train, y_train = load(sys.argv[1])
    x_test, y_test = load(sys.argv[2])
    return x_train, y_train, x_test, y_test, float(sys.argv[3])
