"""Ring score on hand-built masks; correlation and AUC helpers against scipy and sklearn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from glioma_lib.analyses.ring import is_ring, ring_score
from glioma_lib.analyses.stats import auc_against, binary_correlation


def _sphere(shape=(30, 30, 30), radius=10.0):
    grid = np.indices(shape) - (np.array(shape) // 2)[:, None, None, None]
    return np.sqrt((grid**2).sum(0)) < radius, np.sqrt((grid**2).sum(0))


def test_shell_of_enhancement_around_necrosis_scores_high():
    core, distance = _sphere()
    labels = np.zeros(core.shape, np.uint8)
    labels[core] = 3
    labels[distance < 7] = 1
    assert ring_score(labels) > 0.95 and is_ring(labels)


def test_solid_enhancing_blob_scores_low():
    core, _ = _sphere()
    labels = np.where(core, 3, 0).astype(np.uint8)
    assert ring_score(labels) == 0 and not is_ring(labels)


def test_non_enhancing_tumour_scores_low():
    core, distance = _sphere()
    labels = np.where(core, 1, 0).astype(np.uint8)
    labels[(distance >= 10) & (distance < 13)] = 2  # oedema around it changes nothing
    assert ring_score(labels) == 0


def test_patchy_enhancement_scores_below_a_ring():
    core, _ = _sphere()
    labels = np.where(core, 1, 0).astype(np.uint8)
    rng = np.random.default_rng(0)
    labels[core & (rng.random(core.shape) < 0.15)] = 3
    assert ring_score(labels) < 0.3 and not is_ring(labels)


def test_empty_mask_scores_zero():
    assert ring_score(np.zeros((5, 5, 5), np.uint8)) == 0


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


def test_agrees_with_the_planted_ring_flag(phantom_dir):
    import pandas as pd

    from glioma_lib.cohort.readers import read_mask

    truth = pd.read_csv(phantom_dir / "truth.csv").dropna(subset=["brats_id"])
    derived = [is_ring(read_mask(phantom_dir / "truth_masks" / f"{b}_seg.nii.gz", b)) for b in truth["brats_id"]]
    assert np.mean(np.array(derived) == truth["ring_enhancing"].to_numpy()) >= 0.9
