"""Figures of a training run: learning curves and ROC curves of the honest validation predictions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.metrics import roc_curve

from glioma_lib.core.metrics import auc_or_nan, ensemble_of_trials, probability_columns


def learning_curves(metrics: pd.DataFrame) -> plt.Figure | None:
    """Loss and AUCs at each evaluation against optimiser updates, one line per trial; None for a
    run without training curves (the radiomics arm: one fit)."""
    if "loss" not in metrics:
        return None
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    for trial, part in metrics.groupby("trial"):
        axes[0].plot(part["updates"], part["loss"], label=f"trial {trial}")
        axes[1].plot(part["updates"], part["selection_auc"], label=f"trial {trial}")
        axes[2].plot(part["updates"], part["validation_auc"], label=f"trial {trial}")
    for ax, title in zip(axes, ["training loss (Eq. 1)", "selection AUC (inner split)", "validation AUC"],
                         strict=True):  # fmt: skip
        ax.set_title(title)
        ax.set_xlabel("optimiser updates")
    axes[1].set_ylim(0, 1.02)
    axes[2].set_ylim(0, 1.02)
    if metrics["trial"].nunique() <= 10:
        axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def roc_figure(predictions: pd.DataFrame, auc: dict, classes: list[str] | None = None) -> plt.Figure:
    """ROC of each trial's selected checkpoint and of the trials' averaged probabilities; for a
    multi-class task, the averaged probabilities' one-vs-rest ROC of each of ``classes``."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    columns = probability_columns(predictions)
    ensemble = ensemble_of_trials(predictions)
    low, high = auc["honest"]["ci95"]
    if columns == ["probability"]:
        for _, part in predictions.groupby("trial"):
            if part["label"].nunique() == 2:
                fpr, tpr, _ = roc_curve(part["label"], part["probability"])
                ax.plot(fpr, tpr, color="grey", alpha=0.4, lw=1)
        if ensemble["label"].nunique() == 2:
            fpr, tpr, _ = roc_curve(ensemble["label"], ensemble["probability"])
            label = f"averaged trials, AUC {auc['honest']['auc']:.2f} [{low:.2f}, {high:.2f}]"
            ax.plot(fpr, tpr, color="C0", lw=2, label=label)
    else:
        names = classes or [f"class {c}" for c in range(len(columns))]
        for c, column in enumerate(columns):
            positive = ensemble["label"] == c
            if positive.any() and not positive.all():
                fpr, tpr, _ = roc_curve(positive, ensemble[column])
                ax.plot(fpr, tpr, lw=2, label=f"{names[c]} vs rest, AUC {auc_or_nan(positive, ensemble[column]):.2f}")
        ax.text(0.02, 0.98, f"macro AUC {auc['honest']['auc']:.2f} [{low:.2f}, {high:.2f}]", va="top", fontsize=8)
    ax.plot([0, 1], [0, 1], ls=":", color="k")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("validation ROC (honest selection)")
    fig.tight_layout()
    return fig


def auc_summary(auc: dict) -> tuple[pd.DataFrame, str]:
    """A run's AUCs as a table (honest, and the paper's where a run has checkpoints to select
    among) and one line on its patients and budget."""
    honest = auc["honest"]
    low, high = honest["ci95"]
    interval = [f"{honest['auc']:.3f}", f"[{low:.3f}, {high:.3f}] (half-width {(high - low) / 2:.3f})"]
    rows = {"honest: checkpoint chosen on the inner split": interval}
    if "radiomics" in auc:
        fit = auc["radiomics"]
        rows = {"radiomics: penalty chosen by inner CV on the training patients": interval}
        budget = (f"{fit['n_features']} features, C = {fit['inverse_penalty']:.3g}, inner CV AUC "
                  f"{fit['inner_cv_auc']:.3f}; labelled patients without features: "
                  f"{fit['labelled_without_features'] or 'none'}")
    else:
        rows["paper: max over evaluations of validation AUC"] = [f"{auc['paper_max_over_evaluations']['mean']:.3f}",
                                                                  "not defined (selected on validation)"]
        budget = f"{auc['updates']} updates = {auc['passes_over_training_data']:.1f} passes"
    line = (f"validation patients: {honest['n_validation']} ({honest['n_positive']} positive); spread (SD) of their "
            f"averaged probabilities: {honest['probability_sd']:.3f}; training patients: {auc['n_train']} "
            f"({auc['n_train_labelled']} labelled; selection split: {auc['n_selection']}); {budget}")
    return pd.DataFrame(rows, index=["AUC", "95% CI"]).T, line
