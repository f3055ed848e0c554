"""Figures of a training run draw every trial."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from glioma_lib.training.figures import learning_curves, roc_figure

matplotlib.use("Agg")


def test_learning_curves_have_one_line_per_trial_in_each_panel():
    metrics = pd.DataFrame({"trial": [0, 0, 1, 1], "updates": [5, 10, 5, 10], "loss": [1.0, 0.8, 1.1, 0.9],
                            "selection_auc": [0.5, 0.6, 0.55, 0.7], "validation_auc": [0.5, 0.6, 0.6, 0.65]})
    assert [len(ax.lines) for ax in learning_curves(metrics).axes] == [2, 2, 2]
    radiomics_metrics = pd.DataFrame([{"trial": 0, "evaluation": 0, "updates": 0, "n_features": 12}])
    assert learning_curves(radiomics_metrics) is None  # one fit: nothing to draw


def test_roc_figure_draws_each_trial_and_the_average():
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1], 10)
    predictions = pd.DataFrame({"trial": np.repeat([0, 1], 20), "patient_id": np.tile(np.arange(20), 2),
                                "label": np.tile(labels, 2), "probability": rng.random(40)})
    auc = {"honest": {"auc": 0.5, "ci95": [0.3, 0.7]}}
    assert len(roc_figure(predictions, auc).axes[0].lines) >= 3  # two trials and their average


def test_the_auc_summary_says_what_kind_of_run_it_is():
    from glioma_lib.training.figures import auc_summary

    common = {"honest": {"auc": 0.8, "ci95": [0.7, 0.9], "n_validation": 100, "n_positive": 40, "probability_sd": 0.2},
              "n_train": 90, "n_train_labelled": 60, "n_selection": 15}  # fmt: skip
    network = {**common, "paper_max_over_evaluations": {"mean": 0.85}, "updates": 320, "passes_over_training_data": 9.1}
    table, line = auc_summary(network)
    assert len(table) == 2 and "320 updates" in line and "half-width 0.100" in table.iloc[0, 1]
    radiomics = {**common, "radiomics": {"n_features": 88, "inverse_penalty": 0.1, "inner_cv_auc": 0.77,
                                         "labelled_without_features": {"validation": 2}}}  # fmt: skip
    table, line = auc_summary(radiomics)
    assert list(table.index) == ["radiomics: penalty chosen by inner CV on the training patients"]
    assert "88 features" in line and "'validation': 2" in line
