"""Summaries of a manifest for the data chapter: label availability and label distributions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

SPLIT_LABELS = {"train": "labelled, train", "validation": "labelled, validation",
                "unlabelled_mr": "MR without labels", "scna_only": "SCNA only (no MR)"}  # fmt: skip


def availability_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """Counts per split: patients, with MR on disk, with ground-truth masks, with SCNA, with IDH, with 1p/19q."""
    grouped = manifest.groupby("split", sort=False)
    table = pd.DataFrame({
        "patients": grouped.size(),
        "MR": grouped["has_mr"].sum(),
        "GT mask": grouped["has_seg_gt"].sum(),
        "SCNA": grouped["has_scna"].sum(),
        "IDH known": grouped["idh_mutant"].count(),
        "1p/19q known": grouped["codeleted"].count(),
        "survival known": grouped["os_days"].count(),
    })  # fmt: skip
    order = [s for s in SPLIT_LABELS if s in table.index]
    table = table.loc[order]
    table.index = [SPLIT_LABELS[s] for s in order]
    return table


def availability_figure(manifest: pd.DataFrame) -> plt.Figure:
    """The label-availability diagram (the paper's Fig. 1C) as grouped bars with counts."""
    table = availability_table(manifest)[["patients", "MR", "GT mask", "SCNA", "IDH known", "1p/19q known"]]
    ax = table.plot.barh(figsize=(9, 4.5), width=0.8)
    for container in ax.containers:
        ax.bar_label(container, fontsize=7, padding=2)
    ax.invert_yaxis()
    ax.set_xlabel("patients")
    ax.set_title("What each group of patients brings")
    ax.legend(loc="lower right", fontsize=8)
    fig = ax.figure
    fig.tight_layout()
    return fig


def label_distribution(manifest: pd.DataFrame) -> pd.DataFrame:
    """Subtype counts per split (unknown subtype shown as 'unknown')."""
    labelled = manifest[manifest["split"].isin(["train", "validation", "scna_only"])]
    return pd.crosstab(labelled["subtype"].fillna("unknown"), labelled["split"], margins=True)
