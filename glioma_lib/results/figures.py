"""Figures of the results chapter: the forest plot of paired differences and the label-efficiency curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from glioma_lib.core.figures import interval_rows
from glioma_lib.results.paired import MODEL_LABELS


def paired_forest(paired: pd.DataFrame) -> plt.Figure:
    """Every paired difference (AUC or C-index, a - b) with its 95% CI; filled where the
    (Holm-adjusted, where given) p is below 0.05."""
    p = paired["p_holm"].fillna(paired["p_value"]) if "p_holm" in paired else paired["p_value"]
    labels = [f"{c}  (p = {q:.3f})" for c, q in zip(paired["comparison"], p, strict=True)]
    colours = ["C3" if q < 0.05 else "C0" for q in p]
    fig = interval_rows(paired["difference"], paired["ci_low"], paired["ci_high"], pd.Series(labels), 0.0,
                        "paired difference a - b on the same validation patients, 95% bootstrap CI", colours)
    fig.axes[0].set_title("Paired comparisons (red: p < 0.05; p-values Holm-adjusted within each family)",
                          fontsize=9)
    return fig


def label_efficiency_figure(table: pd.DataFrame) -> plt.Figure:
    """Honest AUC with 95% CI against the labelled patients used (fitting and checkpoint selection),
    one series per model (radiomics, CNN, MTL), one panel per (task, format); the series are
    shifted apart a little along the axis so that their intervals do not hide each other."""
    groups = list(table.groupby(["task", "input_format"]))
    fig, axes = plt.subplots(1, max(1, len(groups)), figsize=(5.5 * max(1, len(groups)), 4), squeeze=False)
    for ax, ((task, input_format), part) in zip(axes[0], groups, strict=False):
        models = list(part.groupby("model"))
        for k, (model, rows) in enumerate(models):
            offset = 1.2 * (k - (len(models) - 1) / 2)
            ax.errorbar(rows["n_labelled"] + offset, rows["auc"], capsize=3, marker="o",
                        label=MODEL_LABELS[(model, False)],
                        yerr=[rows["auc"] - rows["ci_low"], rows["ci_high"] - rows["auc"]])  # fmt: skip
        ax.axhline(0.5, ls=":", color="k")
        ax.set_xlabel("labelled patients used: fitting + selection (same unlabelled pool)")
        ax.set_ylabel("honest validation AUC, 95% CI")
        ax.set_title(f"{task.upper()}, {input_format}")
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_figure(confusion: pd.DataFrame) -> plt.Figure:
    """One heatmap per model or call, two to a row (a three-class model beside its two-binary
    call): patients by true subtype (rows) and most probable subtype (columns), each row's share
    of its true subtype written in its cell with the count."""
    models = list(dict.fromkeys(confusion["model"]))
    rows = max(1, -(-len(models) // 2))
    fig, axes = plt.subplots(rows, 2, figsize=(10, 4.2 * rows), squeeze=False)
    for ax in axes.flat[len(models):]:
        ax.set_axis_off()
    for ax, model in zip(axes.flat, models, strict=False):
        part = confusion[confusion["model"] == model]
        order = list(dict.fromkeys(part["true"]))
        counts = part.pivot(index="true", columns="called", values="patients").loc[order, order]
        shares = counts.div(counts.sum(axis=1).replace(0, 1), axis=0)
        annotations = counts.astype(str) + "\n" + (100 * shares).round().astype(int).astype(str) + "%"
        sns.heatmap(shares, annot=annotations, fmt="", vmin=0, vmax=1, cmap="Blues", cbar=False, ax=ax)
        ax.set_title(model, fontsize=8)
        ax.set_xlabel("called (most probable)")
        ax.set_ylabel("true subtype")
    fig.tight_layout()
    return fig
