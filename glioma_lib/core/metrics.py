"""AUC, paired comparisons and multiplicity control, shared by training, survival and results.

Bootstraps are stratified: each resample draws the positives and the negatives (or any other
strata) separately, with replacement, so every resample keeps the class balance of the sample
and an AUC is always defined. Paired comparisons resample *patients*, so both models are scored
on the same resample each time: the spread of the difference then reflects what the two models
share. A statistic that is undefined on a resample (e.g. a C-index without comparable pairs) is
dropped and counted, never replaced.

A three-class task (WHO 2021) is scored with the macro one-vs-rest AUC: the mean over classes of
each class's AUC against the others, on a (patients, classes) probability matrix; every AUC
function here takes either a score vector or such a matrix, and a predictions table holds either
one ``probability`` column (P(class 1)) or one ``probability_<c>`` column per class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from glioma_lib.core.naming import REGIONS

LEVEL = 0.95


def auc_or_nan(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC (macro one-vs-rest for a probability matrix), or NaN when a class is absent (an AUC
    is undefined then)."""
    labels, scores = np.asarray(labels), np.asarray(scores, float)
    if scores.ndim == 2:
        return float(score_auc_rows(labels[None, :], scores[None, :])[0])
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


def prediction_scores(predictions: pd.DataFrame) -> np.ndarray:
    """The scores of a predictions table: its ``probability`` column (P(class 1) of a binary task),
    or the (patients, classes) matrix of its ``probability_<c>`` columns (a multi-class task)."""
    columns = probability_columns(predictions)
    if columns == ["probability"]:
        return predictions["probability"].to_numpy(float)
    return predictions[columns].to_numpy(float)


def ensemble_of_trials(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per patient: its label and the trials' mean of each probability column (patients as index)."""
    columns = probability_columns(predictions)
    return predictions.groupby("patient_id").agg(label=("label", "first"), **{c: (c, "mean") for c in columns})


def class_probability_columns(n_classes: int) -> list[str]:
    """The probability columns a model with ``n_classes`` outputs writes: ``probability``
    (P(class 1)) for two classes, ``probability_0`` ... for more."""
    return ["probability"] if n_classes == 2 else [f"probability_{c}" for c in range(n_classes)]


def probability_spread(predictions: pd.DataFrame) -> float:
    """How much a model's predictions vary between patients: the standard deviation of P(class 1),
    or the mean over classes of each class probability's SD (NaN without patients). Near zero is a
    collapsed model that says the same for everyone."""
    if len(predictions) == 0:
        return float("nan")
    scores = prediction_scores(predictions)
    return float(np.mean(np.atleast_2d(scores.T).std(axis=1, ddof=0)))


def probability_columns(predictions: pd.DataFrame) -> list[str]:
    """The probability columns of a predictions table, class by class (``probability`` alone for a
    binary task)."""
    if "probability" in predictions.columns:
        return ["probability"]
    return sorted((c for c in predictions.columns if c.startswith("probability_")), key=lambda c: int(c[12:]))


def stratified_resamples(strata: np.ndarray, n_boot: int, seed: int = 0) -> np.ndarray:
    """``n_boot`` bootstrap index rows (n_boot, n): each stratum resampled within itself.

    Example:
        >>> idx = stratified_resamples(np.array([0, 0, 1, 1, 1]), 3, seed=0)
        >>> idx.shape, bool((np.array([0, 0, 1, 1, 1])[idx].sum(axis=1) == 3).all())
        ((3, 5), True)
    """
    strata = np.asarray(strata)
    rng = np.random.default_rng(seed)
    columns = []
    for value in np.unique(strata):
        members = np.flatnonzero(strata == value)
        columns.append(members[rng.integers(0, len(members), (n_boot, len(members)))])
    return np.concatenate(columns, axis=1) if columns else np.zeros((n_boot, 0), dtype=int)


def auc_rows(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUC of each row of ``scores`` (m, n) against the matching row of ``labels`` (m, n).

    The Mann-Whitney form with mid-ranks for ties, vectorised over rows; NaN for a row with one class.
    """
    labels, scores = np.atleast_2d(labels).astype(bool), np.atleast_2d(scores).astype(float)
    ranks = rankdata(scores, axis=1)
    n_pos = labels.sum(axis=1)
    n_neg = labels.shape[1] - n_pos
    rank_sum = (ranks * labels).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def score_auc_rows(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """:func:`auc_rows` for score rows (m, n), or the macro one-vs-rest AUC for probability rows
    (m, n, k): the mean over classes of ``auc_rows(labels == c, scores[..., c])``; NaN for a row
    missing a class."""
    labels, scores = np.atleast_2d(labels), np.asarray(scores, float)
    if scores.ndim == labels.ndim:
        return auc_rows(labels, scores)
    per_class = [auc_rows(labels == c, scores[..., c]) for c in range(scores.shape[-1])]
    return np.mean(per_class, axis=0)


def weighted_auc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC of ``scores`` under each row of patient ``weights`` (B, n): a bootstrap resample as the
    count of each patient's draws. Ties count one half, as in ``roc_auc_score``; NaN where a row
    leaves one class without weight.

    Example:
        >>> weighted_auc(np.array([0, 1, 1]), np.array([0.1, 0.2, 0.9]), np.array([[1, 1, 1], [2, 0, 1]]))
        array([1., 1.])
    """
    scores = np.asarray(scores, float)
    if scores.ndim == 2:  # macro one-vs-rest over the classes' probabilities
        labels = np.asarray(labels)
        return np.mean([weighted_auc(labels == c, scores[:, c], weights) for c in range(scores.shape[1])], axis=0)
    order = np.argsort(scores, kind="stable")
    ranked, positive = np.asarray(scores)[order], np.asarray(labels)[order] == 1
    weights = np.atleast_2d(np.asarray(weights, float))[:, order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])  # groups of tied scores
    pos = np.add.reduceat(weights * positive, starts, axis=1)
    neg = np.add.reduceat(weights * ~positive, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return (pos * (below + neg / 2)).sum(axis=1) / (pos.sum(axis=1) * neg.sum(axis=1))


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_auc(labels: np.ndarray, scores: np.ndarray, n_boot: int = 1000, seed: int = 0,
                  level: float = LEVEL) -> tuple[float, float, float]:
    """AUC (macro one-vs-rest for a probability matrix) and its class-stratified percentile
    bootstrap interval (NaNs when a class is absent)."""
    labels, scores = np.asarray(labels).astype(int), np.asarray(scores, float)
    point = auc_or_nan(labels, scores)
    if not np.isfinite(point):
        return point, float("nan"), float("nan")
    idx = stratified_resamples(labels, n_boot, seed)
    low, high = percentile_interval(score_auc_rows(labels[idx], scores[idx]), level)
    return point, low, high


@dataclass(frozen=True)
class PairedDifference:
    """A paired comparison of two scores on the same patients: a - b with its bootstrap CI."""

    value_a: float
    value_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float  # two-sided bootstrap p of "no difference"
    n: int
    n_boot: int
    degenerate: int  # resamples dropped because a statistic was undefined

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2


PAIRED_COLUMNS = ["comparison", "model_a", "model_b", "value_a", "value_b", "difference", "ci_low", "ci_high",
                  "p_value", "n", "n_boot", "degenerate"]  # a table of PairedDifference rows with their labels


def bootstrap_p_value(replicates: np.ndarray) -> float:
    """Two-sided p of a zero difference from bootstrap replicates of it (with the +1 correction)."""
    replicates = replicates[np.isfinite(replicates)]
    if replicates.size == 0:
        return float("nan")
    tail = min((replicates <= 0).sum(), (replicates >= 0).sum())
    return float(min(1.0, 2 * (tail + 1) / (replicates.size + 1)))


def paired_difference(statistic: Callable[[np.ndarray, np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray,
                      strata: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = LEVEL) -> PairedDifference:
    """``statistic(scores, idx)`` of ``a`` minus that of ``b`` on the same stratified resamples.

    ``statistic`` takes the scores (a vector, or patients x columns) and an index array (rows of
    resamples, or one row ``arange(n)`` for the point value) and returns one value per row.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    whole = np.arange(len(a))[None, :]
    point_a, point_b = float(statistic(a, whole)[0]), float(statistic(b, whole)[0])
    idx = stratified_resamples(strata, n_boot, seed)
    replicates = statistic(a, idx) - statistic(b, idx)
    degenerate = int((~np.isfinite(replicates)).sum())
    low, high = percentile_interval(replicates, level)
    return PairedDifference(point_a, point_b, point_a - point_b, low, high, bootstrap_p_value(replicates),
                            len(a), n_boot, degenerate)  # fmt: skip


def paired_auc_difference(labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, n_boot: int = 1000,
                          seed: int = 0) -> PairedDifference:
    """AUC(a) - AUC(b) on the same patients, with a class-stratified paired bootstrap CI (scores
    as vectors, or probability matrices for the macro one-vs-rest AUC).

    Example:
        >>> y = np.array([0, 0, 0, 1, 1, 1])
        >>> d = paired_auc_difference(y, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], [0.5, 0.2, 0.6, 0.4, 0.8, 0.3], 200)
        >>> round(d.difference, 3)
        0.556
    """
    labels = np.asarray(labels).astype(int)

    def auc(scores: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return score_auc_rows(labels[idx], scores[idx])

    return paired_difference(auc, scores_a, scores_b, labels, n_boot, seed)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (NaNs stay NaN and do not count).

    Example:
        >>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def dice(prediction: np.ndarray, truth: np.ndarray, labels: tuple[int, ...]) -> float:
    """Dice of the region made of ``labels``; 1.0 when both are empty (the BraTS convention)."""
    p, t = np.isin(prediction, labels), np.isin(truth, labels)
    total = p.sum() + t.sum()
    return 1.0 if total == 0 else float(2 * (p & t).sum() / total)


def region_dice(prediction: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """``dice_WT``, ``dice_TC`` and ``dice_ET`` of two internal-label (0-3) masks."""
    return {f"dice_{region}": dice(prediction, truth, labels) for region, labels in REGIONS.items()}
