"""Figures of the external-validation chapter: AUCs with CIs per cohort, reliability diagrams and
the TCGA SCNA map with the external cohorts projected into it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from glioma_lib.core.figures import interval_rows
from glioma_lib.core.naming import SUBTYPES
from glioma_lib.external.classifiers import EXTERNAL_TASKS
from glioma_lib.survival.figures import km_panel

MARKERS = ["o", "^", "s", "D", "P", "X"]


def auc_forest(classification: pd.DataFrame) -> plt.Figure:
    """Each task's AUC (macro one-vs-rest for the three classes) with its 95% CI, per cohort;
    undefined AUCs (one class only) are left out."""
    defined = classification.dropna(subset=["auc"]).reset_index(drop=True)
    labels = defined["task"].map(lambda t: EXTERNAL_TASKS[t][0]) + " | " + defined["cohort"]
    return interval_rows(defined["auc"], defined["ci_low"], defined["ci_high"], labels, 0.5,
                         "AUC of the SCNA-only classifier fitted on TCGA, 95% bootstrap CI")  # fmt: skip


def reliability_figure(calibration: pd.DataFrame) -> plt.Figure:
    """Reliability diagrams: observed fraction against mean predicted probability per bin (marker
    area: patients), one panel per binary task and cohort, the diagonal for perfect calibration."""
    tasks, cohorts = list(dict.fromkeys(calibration["task"])), list(dict.fromkeys(calibration["cohort"]))
    fig, axes = plt.subplots(len(tasks), len(cohorts), figsize=(3.2 * len(cohorts), 3.1 * len(tasks)), squeeze=False,
                             sharex=True, sharey=True)  # fmt: skip
    for row, task in enumerate(tasks):
        for column, cohort in enumerate(cohorts):
            ax = axes[row, column]
            part = calibration[(calibration["task"] == task) & (calibration["cohort"] == cohort)]
            ax.plot([0, 1], [0, 1], ls=":", color="k")
            ax.plot(part["mean_predicted"], part["observed"], "-", color="C0", alpha=0.5)
            ax.scatter(part["mean_predicted"], part["observed"], s=np.clip(part["patients"], 6, 200), color="C0")
            ax.set_title(f"{cohort}\n{EXTERNAL_TASKS[task][0]}", fontsize=8)
            if row == len(tasks) - 1:
                ax.set_xlabel("mean predicted probability")
            if column == 0:
                ax.set_ylabel("observed fraction")
    fig.tight_layout()
    return fig


def projection_figure(umap: pd.DataFrame, reference: str = "TCGA") -> plt.Figure:
    """The TCGA SCNA map (small, faint points) with each external cohort projected into it (larger
    markers), every patient coloured by WHO subtype (grey: no label)."""
    fig, ax = plt.subplots(figsize=(7, 5.5))
    palette = dict(zip(SUBTYPES, sns.color_palette(n_colors=len(SUBTYPES)), strict=True))
    for i, (cohort, part) in enumerate(umap.groupby("cohort", sort=False)):
        base = cohort == reference
        colours = [palette.get(s, (0.6, 0.6, 0.6)) for s in part["subtype"]]
        ax.scatter(part["UMAP1"], part["UMAP2"], c=colours, s=6 if base else 22, alpha=0.25 if base else 0.9,
                   marker=MARKERS[i % len(MARKERS)], edgecolors="none" if base else "k", linewidths=0.3,
                   label=f"{cohort} ({len(part)}){' - fitted' if base else ' - projected'}")  # fmt: skip
    handles = [plt.Line2D([], [], ls="", marker="o", color=palette[s], label=s) for s in SUBTYPES]
    first = ax.legend(handles=handles, loc="upper left", fontsize=7, title="WHO subtype", title_fontsize=7)
    ax.add_artist(first)
    ax.legend(loc="lower right", fontsize=7, title="cohort", title_fontsize=7)
    ax.set_xlabel("UMAP1")
    ax.set_ylabel("UMAP2")
    fig.tight_layout()
    return fig


def confusion_table(confusion: pd.DataFrame, task: str) -> pd.DataFrame:
    """One task's confusion counts as a table: (cohort, true class) rows, predicted-class columns."""
    part = confusion[confusion["task"] == task]
    order = EXTERNAL_TASKS[task][1]
    table = part.pivot_table(index=["cohort", "true"], columns="predicted", values="patients", sort=False)
    return table.reindex(columns=order).astype(int)


def risk_group_figure(km: dict[str, tuple]) -> plt.Figure:
    """Kaplan-Meier curves of the TCGA-defined risk groups, one panel per cohort (``km``: cohort ->
    (fits, summary, log-rank p)), with numbers at risk below each."""
    fig, axes = plt.subplots(1, len(km), figsize=(6.2 * len(km), 5), squeeze=False)
    for ax, (cohort, (fits, _, p_value)) in zip(axes[0], km.items(), strict=True):
        km_panel(ax, fits, cohort, p_value)
    fig.tight_layout()
    return fig
