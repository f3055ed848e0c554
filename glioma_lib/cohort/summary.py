"""Summaries of a manifest for the data chapter: label availability and label distributions."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

SPLIT_LABELS = {"train": "labelled, train", "validation": "labelled, validation",
                "unlabelled_mr": "MR, not in train or validation", "scna_only": "SCNA only (no MR)",
                "clinical_only": "clinical data only"}  # fmt: skip


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


def validation_power(manifest: pd.DataFrame) -> pd.DataFrame:
    """Per task, the labelled validation patients, each class's count, and how wide a 95% CI of an
    AUC near 0.75 would be on them (the Hanley-McNeil standard error, times 1.96)."""
    validation = manifest[manifest["split"] == "validation"]
    rows = {}
    for task, column, names in [("IDH", "idh_mutant", ("wildtype", "mutant")),
                                ("1p/19q", "codeleted", ("intact", "co-deleted"))]:
        known = validation[column].dropna().astype(bool)
        positives, negatives = int(known.sum()), int((~known).sum())
        half_width = 1.96 * hanley_mcneil_se(0.75, positives, negatives)
        rows[task] = {"labelled validation patients": len(known), names[0]: negatives, names[1]: positives,
                      "expected CI half-width at AUC 0.75": round(half_width, 3)}
    return pd.DataFrame(rows).T


def hanley_mcneil_se(auc: float, positives: int, negatives: int) -> float:
    """Standard error of an AUC (Hanley and McNeil, 1982); infinite without both classes."""
    if positives == 0 or negatives == 0:
        return float("inf")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2))
    return float((variance / (positives * negatives)) ** 0.5)
