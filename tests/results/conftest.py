"""Finished training runs as the trainer leaves them, for the results tests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from glioma_lib.core.layout import RunLayout
from glioma_lib.models.checkpoint import save_checkpoint


def _write_run(layout: RunLayout, name: str, labels: np.ndarray, probabilities: np.ndarray,
               paper_max: list[float] | None = None) -> None:
    """A finished training run as the trainer leaves it: auc.json and validation predictions."""
    run = layout.run(name)
    run.folder.mkdir(parents=True)
    patients = [f"p{i}" for i in range(len(labels))]
    trials = probabilities.reshape(len(labels), -1)
    rows = [{"patient_id": p, "label": int(y), "probability": float(q), "trial": t, "evaluation": 0}
            for t in range(trials.shape[1]) for p, y, q in zip(patients, labels, trials[:, t], strict=True)]
    pd.DataFrame(rows).to_parquet(run.validation_predictions)
    per_trial = [float(roc_auc_score(labels, trials[:, t])) for t in range(trials.shape[1])]
    paper_max = paper_max or [v + 0.05 for v in per_trial]
    auc = float(roc_auc_score(labels, trials.mean(axis=1)))
    run.auc.write_text(json.dumps({
        "paper_max_over_evaluations": {"mean": float(np.mean(paper_max)), "per_trial": paper_max},
        "honest": {"auc": auc, "ci95": [auc - 0.1, auc + 0.1], "per_trial": per_trial, "n_validation": len(labels),
                   "n_positive": int(labels.sum()), "probability_sd": float(trials.mean(axis=1).std())},
        "optimism_per_trial": [m - h for m, h in zip(paper_max, per_trial, strict=True)],
        "n_train_labelled": 80, "n_selection": 20, "updates": 10}))  # fmt: skip


def write_trial_curves(layout: RunLayout, name: str, labels: np.ndarray, evaluations: list[np.ndarray],
                       selection_aucs: list[float]) -> None:
    """Trial 0's last checkpoint as the trainer leaves it: its validation probabilities at each
    evaluation, and the selection AUCs that choose among them."""
    patients = [f"p{i}" for i in range(len(labels))]
    history = [{"evaluation": e, "selection_auc": a} for e, a in enumerate(selection_aucs)]
    predictions = [{"evaluation": e, "validation": {"patient_id": patients, "label": [int(y) for y in labels],
                                                    "probability": [float(q) for q in scores]}}
                   for e, scores in enumerate(evaluations)]  # fmt: skip
    save_checkpoint(layout.run(name).checkpoint(0, "last"), history=json.dumps(history),
                    predictions=json.dumps(predictions))


@pytest.fixture
def runs(tmp_path):
    """IDH runs in two formats: on t1ce MTL separates the classes and the CNN is noise; on flair
    both are noise; plus a label-efficiency pair."""
    layout = RunLayout(tmp_path)
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 40)
    noise = rng.normal(size=80)
    _write_run(layout, "idh-t1ce-mtl", labels, labels + rng.normal(0, 0.3, 80))
    _write_run(layout, "idh-t1ce-cnn", labels, noise)
    _write_run(layout, "idh-flair-mtl", labels, rng.normal(size=80))
    _write_run(layout, "idh-flair-cnn", labels, noise)
    _write_run(layout, "idh-t1ce-mtl-n20", labels, labels + rng.normal(0, 1, 80))
    _write_run(layout, "idh-t1ce-cnn-n20", labels, noise)
    return layout
