"""SCNA-only subtype classifiers: fitted once on TCGA, scored there by cross-validation and
applied unchanged elsewhere, with discrimination (AUC with a class-stratified bootstrap CI),
calibration (reliability bins and Brier score) and a confusion table at a threshold fixed in advance.

The penalty of the logistic regression is chosen by an inner cross-validation on the fitting
patients alone (a grid search over the penalty, scored by log loss), so the TCGA cross-validated
estimate nests that choice and an external cohort never reaches it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict

from glioma_lib.core.metrics import auc_or_nan, auc_rows, bootstrap_auc, percentile_interval, stratified_resamples
from glioma_lib.core.naming import SUBTYPES

# task -> (what is predicted, the class names in label order)
EXTERNAL_TASKS = {
    "idh": ("IDH-mutant vs IDH-wildtype", ["IDH-wildtype", "IDH-mutant"]),
    "codel": ("1p/19q-codeleted vs intact", ["1p/19q-intact", "1p/19q-codeleted"]),
    "who": ("the three WHO classes", list(SUBTYPES)),
}
FOLDS = 5
PENALTIES = np.logspace(-3, 2, 11)  # inverse penalty strengths searched by the inner cross-validation


def task_labels(subtype: pd.Series, task: str) -> np.ndarray:
    """Integer labels of ``task`` from WHO subtypes (every subtype must be known)."""
    if task == "idh":
        return (subtype != SUBTYPES[0]).to_numpy(int)
    if task == "codel":
        return (subtype == SUBTYPES[2]).to_numpy(int)
    return subtype.map({name: i for i, name in enumerate(SUBTYPES)}).to_numpy(int)


def scna_classifier(seed: int = 0) -> GridSearchCV:
    """L2 logistic regression (multinomial for three classes) whose penalty an inner stratified
    cross-validation on the fitting patients chooses."""
    return GridSearchCV(LogisticRegression(max_iter=5000), {"C": PENALTIES}, scoring="neg_log_loss",
                        cv=StratifiedKFold(FOLDS, shuffle=True, random_state=seed))  # fmt: skip


def fit_and_cross_validate(x: pd.DataFrame, y: np.ndarray, seed: int = 0) -> tuple[GridSearchCV, np.ndarray]:
    """The classifier fitted on every patient, and out-of-fold probabilities (patients x classes) of
    the same recipe refitted in each outer fold (the penalty chosen again inside each)."""
    outer = StratifiedKFold(FOLDS, shuffle=True, random_state=seed + 1)
    oof = cross_val_predict(scna_classifier(seed), x.to_numpy(float), y, cv=outer, method="predict_proba")
    return scna_classifier(seed).fit(x.to_numpy(float), y), oof


def predict_classes(model: GridSearchCV, x: pd.DataFrame, n_classes: int) -> np.ndarray:
    """Probabilities of every class (patients x n_classes), zeros for a class the model never saw."""
    out = np.zeros((len(x), n_classes))
    out[:, model.classes_] = model.predict_proba(x.to_numpy(float))
    return out


def confusion(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class)."""
    table = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(table, (y, predicted), 1)
    return table


def binary_scores(y: np.ndarray, p: np.ndarray, threshold: float, n_boot: int, seed: int = 0) -> dict:
    """AUC with its class-stratified bootstrap CI, Brier score, and the confusion counts at ``threshold``
    (fixed in advance). With one class present the AUC is undefined (NaN, with the reason)."""
    auc, low, high = bootstrap_auc(y, p, n_boot, seed)
    called = (p >= threshold).astype(int)
    table = confusion(y, called, 2)
    return {"auc": auc, "ci_low": low, "ci_high": high, "brier": float(brier_score_loss(y, p, labels=[0, 1])),
            "mean_predicted": float(p.mean()), "observed_fraction": float(y.mean()), "n": len(y),
            "n_positive": int(y.sum()), "true_negative": int(table[0, 0]),
            "false_positive": int(table[0, 1]), "false_negative": int(table[1, 0]), "true_positive": int(table[1, 1]),
            "undefined_because": None if np.isfinite(auc) else "one class only"}  # fmt: skip


def multiclass_scores(y: np.ndarray, probabilities: np.ndarray, n_boot: int, seed: int = 0) -> dict:
    """Macro one-vs-rest AUC over the classes present, with a class-stratified bootstrap CI; each
    class's AUC; the multi-class Brier score (mean squared distance to the one-hot truth); the
    confusion table of the most probable class."""
    present = [c for c in range(probabilities.shape[1]) if (y == c).any()]
    per_class = {SUBTYPES[c]: auc_or_nan(y == c, probabilities[:, c]) for c in range(probabilities.shape[1])}
    if len(present) < 2:
        auc = low = high = float("nan")
    else:
        auc = float(np.mean([per_class[SUBTYPES[c]] for c in present]))
        idx = stratified_resamples(y, n_boot, seed)
        rows = np.mean([auc_rows(y[idx] == c, probabilities[idx, c]) for c in present], axis=0)
        low, high = percentile_interval(rows)
    onehot = np.eye(probabilities.shape[1])[y]
    return {"auc": auc, "ci_low": low, "ci_high": high, "classes_present": len(present),
            "brier": float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1))), "n": len(y),
            "per_class_auc": per_class, "confusion": confusion(y, probabilities.argmax(axis=1), probabilities.shape[1]),
            "undefined_because": None if len(present) >= 2 else "one class only"}  # fmt: skip


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability bins of equal width: patients, mean predicted probability and observed fraction."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = [{"bin": b, "patients": int((which == b).sum()), "mean_predicted": float(p[which == b].mean()),
             "observed": float(y[which == b].mean())} for b in range(bins) if (which == b).any()]  # fmt: skip
    return pd.DataFrame(rows, columns=["bin", "patients", "mean_predicted", "observed"])
