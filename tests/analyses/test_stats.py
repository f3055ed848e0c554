"""Correlation and AUC helpers against scipy and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from glioma_lib.analyses.stats import auc_against, binary_correlation


def test_binary_correlation_matches_scipy():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2, 50).astype(float)
    b = np.where(rng.random(50) < 0.8, a, 1 - a)
    r, p, n = binary_correlation(a, b)
    expected = stats.pearsonr(a, b)
    assert (r, p, n) == (pytest.approx(expected[0]), pytest.approx(expected[1]), 50)
    a[:5] = np.nan
    assert binary_correlation(a, b)[2] == 45


def test_auc_against_matches_sklearn_and_drops_missing():
    labels = np.array([0, 1, 1, 0, np.nan, 1])
    scores = np.array([0.1, 0.8, 0.4, 0.5, 0.9, 0.7])
    auc, n = auc_against(labels, scores)
    assert n == 5 and auc == pytest.approx(roc_auc_score([0, 1, 1, 0, 1], [0.1, 0.8, 0.4, 0.5, 0.7]))
