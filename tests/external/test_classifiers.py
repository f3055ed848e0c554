"""SCNA classifiers: metrics against naive implementations; the penalty chosen on fitting patients only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from glioma_lib.core.naming import SUBTYPES
from glioma_lib.external import classifiers as clf


def _naive_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Every positive-negative pair: 1 when the positive scores higher, 1/2 when tied."""
    pos, neg = scores[positive], scores[~positive]
    return float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg]))


def test_three_class_scores_match_naive_and_sklearn_implementations():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 120)
    logits = rng.normal(size=(120, 3)) + 1.5 * np.eye(3)[y]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probabilities[:5] = probabilities[5]  # ties
    scores = clf.multiclass_scores(y, probabilities, n_boot=300)
    naive = np.mean([_naive_auc(y == c, probabilities[:, c]) for c in range(3)])
    assert scores["auc"] == pytest.approx(naive) == pytest.approx(roc_auc_score(y, probabilities, multi_class="ovr"))
    assert scores["ci_low"] < scores["auc"] < scores["ci_high"]
    for c, name in enumerate(SUBTYPES):
        assert scores["per_class_auc"][name] == pytest.approx(_naive_auc(y == c, probabilities[:, c]))
    naive_brier = np.mean([sum((probabilities[i, c] - (y[i] == c)) ** 2 for c in range(3)) for i in range(120)])
    assert scores["brier"] == pytest.approx(naive_brier)
    predicted = probabilities.argmax(axis=1)
    assert scores["confusion"].tolist() == [[int(np.sum((y == t) & (predicted == p))) for p in range(3)]
                                            for t in range(3)]  # fmt: skip


def test_a_cohort_without_a_class_gets_the_auc_over_the_classes_it_has():
    y = np.array([0, 0, 1, 1, 0, 1])
    probabilities = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.3, 0.6, 0.1],
                              [0.5, 0.4, 0.1], [0.1, 0.8, 0.1]])  # fmt: skip
    scores = clf.multiclass_scores(y, probabilities, n_boot=50)
    assert scores["classes_present"] == 2 and np.isnan(scores["per_class_auc"][SUBTYPES[2]])
    assert scores["auc"] == pytest.approx(1.0)


def test_binary_scores_count_calls_at_the_fixed_threshold_and_say_when_the_auc_is_undefined():
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.7, 0.3])
    scores = clf.binary_scores(y, p, threshold=0.5, n_boot=50)
    assert (scores["true_negative"], scores["false_positive"], scores["false_negative"],
            scores["true_positive"]) == (2, 1, 1, 1)  # fmt: skip
    assert scores["auc"] == pytest.approx(_naive_auc(y == 1, p))
    assert scores["brier"] == pytest.approx(np.mean((p - y) ** 2))
    one_class = clf.binary_scores(np.zeros(4, int), np.array([0.1, 0.2, 0.9, 0.3]), 0.5, 50)
    assert np.isnan(one_class["auc"]) and one_class["undefined_because"] == "one class only"
    assert one_class["false_positive"] == 1


def test_reliability_bins_match_a_naive_binning():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=200)
    y = (rng.uniform(size=200) < p).astype(int)
    table = clf.reliability(y, p, bins=5).set_index("bin")
    for b in range(5):
        inside = (p >= b / 5) & (p < (b + 1) / 5)
        assert table.loc[b, "patients"] == inside.sum()
        assert table.loc[b, "observed"] == pytest.approx(y[inside].mean())


def test_the_penalty_is_chosen_on_the_fitting_patients_alone():
    """The fitted model depends on the fitting patients only, and its cross-validated probabilities
    are out of fold: a label-permuted copy of a sample scores near chance, the real one well."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.normal(size=(200, 6)))
    y = (x[0] + 0.5 * rng.normal(size=200) > 0).to_numpy(int)
    model, oof = clf.fit_and_cross_validate(x, y)
    assert roc_auc_score(y, oof[:, 1]) > 0.85
    _, shuffled = clf.fit_and_cross_validate(x, rng.permutation(y))
    assert abs(roc_auc_score(rng.permutation(y), shuffled[:, 1]) - 0.5) < 0.15
    again, _ = clf.fit_and_cross_validate(x, y)
    other = pd.DataFrame(rng.normal(size=(50, 6)))
    assert np.allclose(clf.predict_classes(model, other, 2), clf.predict_classes(again, other, 2))
    assert model.best_params_["C"] in clf.PENALTIES
