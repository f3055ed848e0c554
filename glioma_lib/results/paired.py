"""What every results table shares: the models' labels, a run's trials averaged, and
one paired comparison's row."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from glioma_lib.core.layout import RunLayout
from glioma_lib.core.metrics import ensemble_of_trials, paired_auc_difference, prediction_scores

MODEL_LABELS = {("cnn", False): "CNN", ("mtl", False): "MTL", ("mtl", True): "MTL+SCNA", ("cnn", True): "CNN+SCNA",
                ("radiomics", False): "Radiomics", ("mean_teacher", False): "Mean teacher"}  # fmt: skip


def ensemble_predictions(layout: RunLayout, run: str) -> pd.DataFrame:
    """Per validation patient: label and the trials' mean probabilities (the honest checkpoints)."""
    return ensemble_of_trials(pd.read_parquet(layout.run(run).validation_predictions))


def paired_row(comparison: str, model_a: str, model_b: str, a: pd.DataFrame, b: pd.DataFrame, n_boot: int,
               seed: int, **extra) -> dict:  # fmt: skip
    """One row of a paired table: AUC(a) - AUC(b) on the patients both scored (labels from ``a``),
    with its class-stratified paired bootstrap CI, and ``extra`` columns."""
    common = a.index.intersection(b.index)
    result = paired_auc_difference(a.loc[common, "label"], prediction_scores(a.loc[common]),
                                   prediction_scores(b.loc[common]), n_boot, seed)  # fmt: skip
    return {"comparison": comparison, "model_a": model_a, "model_b": model_b, **asdict(result), **extra}
