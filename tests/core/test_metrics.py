"""Stratified and paired bootstraps and Holm's adjustment, checked against naive implementations."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from glioma_lib.core.metrics import (
    auc_rows,
    bootstrap_auc,
    bootstrap_p_value,
    holm,
    paired_auc_difference,
    stratified_resamples,
)


def _naive_holm(p: list[float]) -> list[float]:
    """Holm's procedure written out: sort, multiply by (m - rank), running maximum, cap at 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    adjusted, running = [0.0] * len(p), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def test_stratified_resamples_keep_each_class_count():
    labels = np.array([0] * 7 + [1] * 3)
    idx = stratified_resamples(labels, 200, seed=1)
    assert idx.shape == (200, 10)
    assert (labels[idx].sum(axis=1) == 3).all()  # every resample: 3 positives, 7 negatives
    assert len(np.unique(idx[:, 7:])) == 3 and set(np.unique(idx[:, :7])) <= set(range(7))


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_auc_matches_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, (20, 15))
    labels[:, :2] = [0, 1]  # both classes in every row
    scores = rng.integers(0, 4, (20, 15)).astype(float)  # many ties
    expected = [roc_auc_score(y, s) for y, s in zip(labels, scores, strict=True)]
    np.testing.assert_allclose(auc_rows(labels, scores), expected)


def test_auc_of_one_class_is_undefined():
    assert np.isnan(auc_rows(np.array([[1, 1, 1]]), np.array([[0.1, 0.2, 0.3]]))[0])
    assert all(np.isnan(v) for v in bootstrap_auc(np.ones(5), np.arange(5.0)))


def test_paired_difference_matches_a_naive_loop():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 12 + [1] * 8)
    a = labels + rng.normal(0, 0.8, 20)
    b = labels + rng.normal(0, 1.2, 20)
    result = paired_auc_difference(labels, a, b, n_boot=300, seed=4)
    idx = stratified_resamples(labels, 300, seed=4)
    naive = np.array([roc_auc_score(labels[i], a[i]) - roc_auc_score(labels[i], b[i]) for i in idx])
    assert result.difference == pytest.approx(roc_auc_score(labels, a) - roc_auc_score(labels, b))
    assert result.ci_low == pytest.approx(np.percentile(naive, 2.5))
    assert result.ci_high == pytest.approx(np.percentile(naive, 97.5))
    assert result.p_value == pytest.approx(bootstrap_p_value(naive))
    assert result.degenerate == 0 and result.n == 20


def test_identical_models_differ_by_exactly_zero_and_are_not_significant():
    labels = np.array([0, 1] * 10)
    scores = np.linspace(0, 1, 20)
    result = paired_auc_difference(labels, scores, scores, n_boot=100)
    assert result.difference == 0 and result.ci_low == 0 and result.ci_high == 0 and result.p_value == 1.0


def test_pairing_narrows_the_interval_of_correlated_models():
    """Two models that share most of their errors: the paired CI of the difference is far narrower
    than the unpaired intervals' overlap would suggest."""
    rng = np.random.default_rng(1)
    labels = np.array([0] * 50 + [1] * 50)
    shared = labels + rng.normal(0, 1, 100)
    a, b = shared + rng.normal(0, 0.1, 100), shared + rng.normal(0, 0.1, 100)
    paired = paired_auc_difference(labels, a, b, n_boot=500)
    _, low_a, high_a = bootstrap_auc(labels, a, 500)
    assert paired.half_width < (high_a - low_a) / 4


def test_bootstrap_p_value_is_two_sided_and_never_zero():
    assert bootstrap_p_value(np.ones(99)) == pytest.approx(2 / 100)
    assert bootstrap_p_value(-np.ones(99)) == pytest.approx(2 / 100)
    assert bootstrap_p_value(np.array([-1.0, 1.0] * 50)) == 1.0
    assert np.isnan(bootstrap_p_value(np.array([np.nan])))


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_the_naive_procedure(seed):
    p = np.random.default_rng(seed).uniform(0, 0.2, 6)
    np.testing.assert_allclose(holm(p), _naive_holm(list(p)))


def test_holm_edge_cases():
    assert holm(np.array([])).size == 0
    assert holm(np.array([0.04])).tolist() == [0.04]
    adjusted = holm(np.array([0.01, np.nan, 0.02]))
    assert np.isnan(adjusted[1]) and adjusted[[0, 2]].tolist() == [0.02, 0.02]  # NaN does not count in m
    assert holm(np.array([0.6, 0.7])).tolist() == [1.0, 1.0]


def test_weighted_auc_equals_sklearns_with_sample_weights_ties_included():
    from sklearn.metrics import roc_auc_score

    from glioma_lib.core.metrics import weighted_auc

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 40)
    scores = np.round(rng.normal(size=40), 1)  # many ties
    weights = rng.integers(0, 4, (20, 40))
    expected = [roc_auc_score(labels, scores, sample_weight=w) if len(set(labels[w > 0])) == 2 else np.nan
                for w in weights]  # fmt: skip
    np.testing.assert_allclose(weighted_auc(labels, scores, weights), expected)
    assert np.isnan(weighted_auc(labels, scores, (labels == 1)[None, :].astype(float)))[0]  # one class only


def test_the_macro_one_vs_rest_auc_matches_sklearn_and_a_naive_mean(seed=3):
    """Three classes: the macro one-vs-rest AUC (every AUC function's matrix form) against
    sklearn's and a naive per-class mean; its weighted and bootstrap forms agree on the sample."""
    from glioma_lib.core.metrics import auc_or_nan, score_auc_rows, weighted_auc

    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2], [30, 20, 10])
    logits = rng.normal(size=(60, 3)) + 1.5 * np.eye(3)[labels]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    naive = np.mean([roc_auc_score(labels == c, probabilities[:, c]) for c in range(3)])
    expected = roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    assert naive == pytest.approx(expected)
    assert auc_or_nan(labels, probabilities) == pytest.approx(expected)
    assert score_auc_rows(labels[None], probabilities[None])[0] == pytest.approx(expected)
    assert weighted_auc(labels, probabilities, np.ones((1, 60)))[0] == pytest.approx(expected)
    auc, low, high = bootstrap_auc(labels, probabilities, 300, 0)
    assert auc == pytest.approx(expected) and low < auc < high
    assert np.isnan(auc_or_nan(labels[labels < 2], probabilities[labels < 2]))  # a class absent: undefined
    same = paired_auc_difference(labels, probabilities, probabilities, 100)
    assert same.difference == 0 and same.ci_low == same.ci_high == 0
