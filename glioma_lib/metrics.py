"""AUC with a bootstrap confidence interval, shared by training and the analyses."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def auc_or_nan(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC, or NaN when only one class is present (an AUC is undefined then)."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


def bootstrap_auc(labels: np.ndarray, scores: np.ndarray, n_boot: int = 1000, seed: int = 0,
                  level: float = 0.95) -> tuple[float, float, float]:
    """AUC and its percentile bootstrap interval (resamples with one class only are skipped)."""
    labels, scores = np.asarray(labels), np.asarray(scores)
    point = auc_or_nan(labels, scores)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(labels), len(labels))
        if len(np.unique(labels[idx])) == 2:
            values.append(roc_auc_score(labels[idx], scores[idx]))
    if not values:
        return point, float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return point, float(low), float(high)


def dice(prediction: np.ndarray, truth: np.ndarray, labels: tuple[int, ...]) -> float:
    """Dice of the region made of ``labels``; 1.0 when both are empty (the BraTS convention)."""
    p, t = np.isin(prediction, labels), np.isin(truth, labels)
    total = p.sum() + t.sum()
    return 1.0 if total == 0 else float(2 * (p & t).sum() / total)
