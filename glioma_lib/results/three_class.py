"""The WHO 2021 three-class task: each three-class model against the call made from the two
binary models of the same format and model kind, per-class AUCs, and confusion matrices.

WHO 2021 grades adult diffuse gliomas by one call: IDH-wildtype, IDH-mutant 1p/19q-intact, or
1p/19q-codeleted. A model trained on that call (``who2021`` runs: one softmax over the three
classes) is compared, paired on the same validation patients, with the call the two binary
models of the paper make together: P(wildtype) = 1 - P(IDH-mutant), P(intact) = P(IDH-mutant)
(1 - P(co-deleted)), P(co-deleted) = P(IDH-mutant) P(co-deleted). Both are scored by the macro
one-vs-rest AUC (``core.metrics``), the difference with a class-stratified paired bootstrap, and
the p-values Holm-adjusted over the model kinds compared. A confusion matrix assigns each patient
its most probable class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glioma_lib.core.layout import RunLayout
from glioma_lib.core.metrics import PAIRED_COLUMNS, bootstrap_auc, holm, prediction_scores
from glioma_lib.core.naming import TASK_CLASSES, run_name
from glioma_lib.results.paired import MODEL_LABELS, ensemble_predictions, paired_row

THREE_CLASS = "who2021"
CLASSES = TASK_CLASSES[THREE_CLASS]
FAMILY = "who2021 vs two binary"


def binary_call(idh: pd.DataFrame, codel: pd.DataFrame) -> pd.DataFrame:
    """Three-class probabilities (``probability_0..2``, the order of ``TASK_CLASSES["who2021"]``)
    from an IDH model's and a 1p/19q model's P(class 1), on the patients both scored.

    Example:
        >>> idh = pd.DataFrame({"probability": [0.9, 0.2]}, index=["a", "b"])
        >>> codel = pd.DataFrame({"probability": [0.5, 0.5]}, index=["a", "b"])
        >>> binary_call(idh, codel).round(2).to_dict("list")
        {'probability_0': [0.1, 0.8], 'probability_1': [0.45, 0.1], 'probability_2': [0.45, 0.1]}
    """
    common = idh.index.intersection(codel.index)
    mutant, codeleted = idh.loc[common, "probability"], codel.loc[common, "probability"]
    return pd.DataFrame({"probability_0": 1 - mutant, "probability_1": mutant * (1 - codeleted),
                         "probability_2": mutant * codeleted}, index=common)  # fmt: skip


def _pairs(aucs: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
    """Full-size three-class runs whose two binary runs (same format and model) finished."""
    done = set(aucs["run"])
    three = aucs[(aucs["task"] == THREE_CLASS) & aucs["labelled_limit"].isna() & ~aucs["use_scna"]]
    pairs = []
    for record in three.itertuples():
        idh, codel = (run_name(task, record.input_format, record.model, False) for task in ("idh", "codel"))
        if {idh, codel} <= done:
            pairs.append((record, idh, codel))
    return pairs


def three_class_predictions(layout: RunLayout, aucs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per three-class run with both binary runs: its trials' mean probabilities, and the binary
    call on the same patients (keyed ``<run>`` and ``<run> two-binary call``; labels from the run)."""
    out = {}
    for record, idh, codel in _pairs(aucs):
        three = ensemble_predictions(layout, record.run)
        call = binary_call(ensemble_predictions(layout, idh), ensemble_predictions(layout, codel))
        common = three.index.intersection(call.index)
        out[record.run] = three.loc[common]
        out[f"{record.run} two-binary call"] = call.loc[common].assign(label=three.loc[common, "label"])
    return out


def three_class_vs_binary(layout: RunLayout, aucs: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Macro AUC of each three-class model minus that of its two binary models' call, paired on the
    validation patients all three scored; Holm-adjusted over the model kinds of a format."""
    predictions = three_class_predictions(layout, aucs)
    rows = []
    for record, idh, codel in _pairs(aucs):
        label = MODEL_LABELS[(record.model, False)]
        rows.append(paired_row(f"macro AUC: three-class {label} - two binary {label}, WHO 2021, {record.input_format}",
                                record.run, f"{idh} + {codel}", predictions[record.run],
                                predictions[f"{record.run} two-binary call"], n_boot, seed, task=THREE_CLASS,
                                input_format=record.input_format, labelled_limit=np.nan, family=FAMILY))  # fmt: skip
    table = pd.DataFrame(rows, columns=[*PAIRED_COLUMNS, "task", "input_format", "labelled_limit", "family"])
    table["p_holm"] = np.nan
    for _, part in table.groupby("input_format"):
        table.loc[part.index, "p_holm"] = holm(part["p_value"].to_numpy())
    return table


def per_class_aucs(predictions: dict[str, pd.DataFrame], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Each class's one-vs-rest AUC with its class-stratified bootstrap CI, per model or call."""
    rows = []
    for name, table in predictions.items():
        scores = prediction_scores(table)
        for c, subtype in enumerate(CLASSES):
            auc, low, high = bootstrap_auc((table["label"] == c).astype(int), scores[:, c], n_boot, seed)
            rows.append({"model": name, "class": subtype, "n": int((table["label"] == c).sum()), "auc": auc,
                         "ci_low": low, "ci_high": high})  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "class", "n", "auc", "ci_low", "ci_high"])


def confusion_matrices(predictions: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per model or call: patients by true class (rows) and most probable class (columns), long form."""
    rows = []
    for name, table in predictions.items():
        called = prediction_scores(table).argmax(axis=1)
        counts = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
        np.add.at(counts, (table["label"].to_numpy(int), called), 1)
        rows += [{"model": name, "true": CLASSES[t], "called": CLASSES[c], "patients": int(counts[t, c])}
                 for t in range(len(CLASSES)) for c in range(len(CLASSES))]  # fmt: skip
    return pd.DataFrame(rows, columns=["model", "true", "called", "patients"])
