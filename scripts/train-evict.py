#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fits the EVICT v1 reclaim model with scikit-learn (a maintained ML library).

Usage: train-evict.py SAMPLES OUT.json [--max-samples N] [--seed S] [--hidden H[,H]]

SAMPLES is what `lrn samples` writes: per line 8 int8 features and a label (0 keep, 1
reclaim). The network is what the kernel's engine runs: 8 inputs (feature / 128) -> the
--hidden ReLU layers (default 8,8) -> one logistic output (imported as two logits [0, z] by
`lrn model import`). Training
is deterministic: a fixed seed for the subsample and for scikit-learn, one thread.

OUT.json holds the layer sizes, the weights (W{i}: inputs x outputs, as scikit-learn's
`coefs_`) and biases, and `check_proba`: the fitted model's own probability of class 1 on the
first 2,000 samples, which `lrn model import` must reproduce before it quantizes.
"""
import argparse
import json
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("samples")
    ap.add_argument("out")
    ap.add_argument("--max-samples", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--hidden", default="8,8", help="hidden layer widths, comma-separated")
    a = ap.parse_args()
    hidden = tuple(int(h) for h in a.hidden.split(","))
    data = np.fromfile(a.samples, dtype=np.int64, sep=" ").reshape(-1, 9)
    x_all, y_all = data[:, :8].astype(np.float64) / 128.0, data[:, 8]
    rng = np.random.default_rng(a.seed)
    idx = rng.permutation(len(y_all))[: a.max_samples]
    x, y = x_all[idx], y_all[idx]
    clf = MLPClassifier(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="adam",
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=a.epochs,
        shuffle=True,
        random_state=a.seed,
        tol=0.0,
        n_iter_no_change=a.epochs + 1,
    )
    clf.fit(x, y)
    if list(clf.classes_) != [0, 1]:
        sys.exit(f"train-evict: classes {clf.classes_}, want [0, 1]")
    acc = clf.score(x_all, y_all)
    base = max(np.mean(y_all), 1 - np.mean(y_all))
    keep_pred = float(np.mean(clf.predict(x_all) == 0))
    out = {
        "sizes": [8, *hidden, 1],
        "samples": int(len(y_all)),
        "train_samples": int(len(y)),
        "accuracy": acc,
        "majority": base,
        "predicted_keep": keep_pred,
        "check_proba": clf.predict_proba(x_all[:2000])[:, 1].tolist(),
    }
    for i, (w, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        out[f"W{i}"] = w.tolist()
        out[f"b{i}"] = b.tolist()
    with open(a.out, "w") as f:
        json.dump(out, f)
    print(
        f"train-evict: {len(y)} of {len(y_all)} samples, accuracy {acc:.4f} "
        f"(majority {base:.4f}), predicted keep {keep_pred:.3f}"
    )


if __name__ == "__main__":
    main()
