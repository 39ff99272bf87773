"""Reads a TransferKit feature store with h5py and prints what Java should agree on, as JSON.

Usage: python3 read_store.py STORE.h5

Only the committed rows count (the root attribute committed_rows), as STORE-FORMAT.md prescribes for readers.
"""
import json
import sys

import h5py
import numpy as np


def main(path):
    with h5py.File(path, "r") as f:
        attrs = f.attrs
        rows = int(attrs["committed_rows"])
        features = f["features"][:rows]
        labels = f["labels"][:rows]
        paths = [p.decode("utf-8") if isinstance(p, bytes) else p for p in f["paths"][:rows]]
        failures = f["failures"][: int(attrs["committed_failures"])]
        print(json.dumps({
            "format": attrs["format"],
            "format_version": int(attrs["format_version"]),
            "complete": int(attrs["complete"]),
            "rows": rows,
            "dim": int(features.shape[1]),
            "feature_dtype": str(features.dtype),
            "feature_sum": float(np.sum(features, dtype=np.float64)),
            "feature_abs_sum": float(np.sum(np.abs(features), dtype=np.float64)),
            "first_row": [float(x) for x in features[0]] if rows else [],
            "label_sum": int(np.sum(labels, dtype=np.int64)),
            "paths": paths,
            "label_names": json.loads(attrs["label_names"]),
            "layer": attrs["layer"],
            "failures": [[c.decode("utf-8") if isinstance(c, bytes) else c for c in row] for row in failures],
            "chunks": list(f["features"].chunks),
            "compression": f["features"].compression,
            "compression_opts": f["features"].compression_opts,
            "shuffle": bool(f["features"].shuffle),
        }, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
