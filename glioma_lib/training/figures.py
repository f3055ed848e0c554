"""Figures of a training run: learning curves and ROC curves of the honest validation predictions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.metrics import roc_curve


def learning_curves(metrics: pd.DataFrame) -> plt.Figure:
    """Loss and AUCs at each evaluation against optimiser updates, one line per trial."""
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


def roc_figure(predictions: pd.DataFrame, auc: dict) -> plt.Figure:
    """ROC of each trial's selected checkpoint and of the trials' averaged probabilities."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for _, part in predictions.groupby("trial"):
        if part["label"].nunique() == 2:
            fpr, tpr, _ = roc_curve(part["label"], part["probability"])
            ax.plot(fpr, tpr, color="grey", alpha=0.4, lw=1)
    ensemble = predictions.groupby("patient_id").agg(label=("label", "first"), probability=("probability", "mean"))
    if ensemble["label"].nunique() == 2:
        fpr, tpr, _ = roc_curve(ensemble["label"], ensemble["probability"])
        low, high = auc["honest"]["ci95"]
        label = f"averaged trials, AUC {auc['honest']['auc']:.2f} [{low:.2f}, {high:.2f}]"
        ax.plot(fpr, tpr, color="C0", lw=2, label=label)
    ax.plot([0, 1], [0, 1], ls=":", color="k")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right", fontsize=7)
    ax.set_title("validation ROC (honest selection)")
    fig.tight_layout()
    return fig
