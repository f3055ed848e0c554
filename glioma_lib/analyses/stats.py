"""Correlation and AUC helpers for the binary comparisons of Section IV (Figs. 4 and 6)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from glioma_lib.core.metrics import auc_or_nan


def binary_correlation(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int]:
    """Pearson's R (the phi coefficient for two binary variables), its p-value, and n (pairs without NaN)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    keep = ~(np.isnan(a) | np.isnan(b))
    if keep.sum() < 3 or np.std(a[keep]) == 0 or np.std(b[keep]) == 0:
        return float("nan"), float("nan"), int(keep.sum())
    r, p = stats.pearsonr(a[keep], b[keep])
    return float(r), float(p), int(keep.sum())


def auc_against(labels: np.ndarray, scores: np.ndarray) -> tuple[float, int]:
    """AUC of ``scores`` against binary ``labels`` (NaN labels dropped), and n."""
    labels, scores = np.asarray(labels, float), np.asarray(scores, float)
    keep = ~np.isnan(labels)
    return auc_or_nan(labels[keep].astype(int), scores[keep]), int(keep.sum())
