"""Independent check of TransferKit's L-BFGS logistic regression: standardises the features with scikit-learn's
StandardScaler (fitted on the training rows), fits LogisticRegression(solver="lbfgs") and prints, as JSON, the test
accuracy, the test rows' class probabilities, and the coefficients and intercepts (over standardised features).

Usage: /usr/bin/python3 sklearn_lbfgs.py train.csv test.csv C multinomial|ovr|auto uniform|balanced
Each CSV row: class index, then the feature values. Needs Debian's python3-sklearn.
"""
import json
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_data import arguments


def main():
    x_train, y_train, x_test, y_test, c = arguments()
    multi_class = sys.argv[4]
    class_weight = "balanced" if sys.argv[5] == "balanced" else None
    scaler = StandardScaler().fit(x_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(solver="lbfgs", C=c, tol=1e-4, max_iter=1000, multi_class=multi_class,
                                   class_weight=class_weight).fit(scaler.transform(x_train), y_train)
    z_test = scaler.transform(x_test)
    print(json.dumps({
        "accuracy": float((model.predict(z_test) == y_test).mean()),
        "probabilities": model.predict_proba(z_test).tolist(),
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
        "n_iter": int(np.max(model.n_iter_)),
    }))


if __name__ == "__main__":
    main()
