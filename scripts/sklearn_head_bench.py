"""scikit-learn's side of HeadBench: LogisticRegressionCV (lbfgs) on standardised features read from TransferKit's
HDF5 feature stores with h5py. Prints one JSON object: load and fit seconds (wall clock, and the process's CPU time
during the fit), chosen C, test accuracy and balanced accuracy.

Usage: /usr/bin/python3 scripts/sklearn_head_bench.py TRAIN.h5 (--test TEST.h5 | --holdout-every K)
           --cs 0.0001,0.001,0.01,0.1,1,10 [--folds 5] [--max-iter 100] [--tol 1e-4]
           [--class-weight none|balanced] [--n-jobs N]

With --holdout-every K the rows whose index modulo K is K-1 are the test split and the rest train, as HeadBench
splits a single store. The timed fit is StandardScaler.fit_transform plus LogisticRegressionCV.fit (C chosen by
stratified k-fold cross-validation, accuracy, then a refit on all training rows), as TransferKit's timed fit
standardises and cross-validates. Needs Debian's python3-h5py and python3-sklearn.
"""
import argparse
import json
import time
import warnings

import h5py
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler


def load(path):
    with h5py.File(path, "r") as f:
        if int(f.attrs.get("complete", 0)) != 1:
            raise SystemExit("The feature store " + path + " is not complete; finish its extraction first.")
        rows = int(f.attrs["committed_rows"])
        return np.asarray(f["features"][:rows], dtype=np.float32), np.asarray(f["labels"][:rows]).astype(np.int64)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("train")
    parser.add_argument("--test")
    parser.add_argument("--holdout-every", type=int, default=0)
    parser.add_argument("--cs", required=True)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--class-weight", default="none")
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()

    start = time.perf_counter()
    x, y = load(args.train)
    if args.test:
        x_test, y_test = load(args.test)
    else:
        test = np.arange(len(y)) % args.holdout_every == args.holdout_every - 1
        x, y, x_test, y_test = x[~test], y[~test], x[test], y[test]
    load_seconds = time.perf_counter() - start

    cs = [float(c) for c in args.cs.split(",")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        cpu_start = time.process_time()
        scaler = StandardScaler()
        z = scaler.fit_transform(x)
        model = LogisticRegressionCV(Cs=cs, cv=StratifiedKFold(args.folds), solver="lbfgs", tol=args.tol,
                                     max_iter=args.max_iter, n_jobs=args.n_jobs,
                                     class_weight="balanced" if args.class_weight == "balanced" else None).fit(z, y)
        fit_seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    predicted = model.predict(scaler.transform(x_test))
    print(json.dumps({
        "train_rows": int(len(y)),
        "test_rows": int(len(y_test)),
        "dim": int(x.shape[1]),
        "load_seconds": load_seconds,
        "fit_seconds": fit_seconds,
        "cpu_seconds": cpu_seconds,
        "C": float(model.C_[0]),
        "max_iterations_hit": int(np.sum(model.n_iter_ >= args.max_iter)),
        "fits": int(model.n_iter_.size),
        "convergence_warnings": sum(1 for w in caught if issubclass(w.category, ConvergenceWarning)),
        "accuracy": float(accuracy_score(y_test, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y_test, predicted)),
    }))


if __name__ == "__main__":
    main()
