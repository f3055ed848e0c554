"""Figures of the Section IV analyses: ring/grade over IDH status, attribution overlays, UMAP."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from glioma_lib.core.naming import SUBTYPES


def status_bars(table: pd.DataFrame, column: str, labels: dict, title: str) -> plt.Figure:
    """Counts of a binary finding (ring, grade IV) within IDH-mutant and IDH-wildtype patients."""
    known = table.dropna(subset=["idh_mutant", column]).copy()
    known["IDH status"] = np.where(known["idh_mutant"].astype(bool), "IDH-mutant", "IDH-wildtype")
    known[title] = known[column].map(labels)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    sns.countplot(known, x="IDH status", hue=title, order=["IDH-mutant", "IDH-wildtype"], ax=ax)
    for container in ax.containers:
        ax.bar_label(container)
    ax.set_ylabel("patients")
    fig.tight_layout()
    return fig


def attribution_figure(table: pd.DataFrame) -> plt.Figure:
    """T1ce slice and its integrated-gradients map for each (correct/wrong, ring/no ring) patient."""
    fig, axes = plt.subplots(2, max(1, len(table)), figsize=(3.2 * max(1, len(table)), 6.4), squeeze=False)
    for column, row in enumerate(table.itertuples()):
        arrays = np.load(row.arrays)
        image, attributions = arrays["image"][0], arrays["attributions"][0]
        k = int(np.argmax(np.abs(attributions).sum(axis=(0, 1))))
        limit = np.abs(attributions).max() or 1.0
        axes[0, column].imshow(np.rot90(image[:, :, k]), cmap="gray")
        axes[0, column].set_title(f"{'correct' if row.correct else 'wrong'}, {'ring' if row.ring else 'no ring'}\n"
                                  f"P(IDH-mut) {row.p_idh_mutant:.2f}", fontsize=9)  # fmt: skip
        axes[1, column].imshow(np.rot90(image[:, :, k]), cmap="gray")
        axes[1, column].imshow(np.rot90(attributions[:, :, k]), cmap="bwr", vmin=-limit, vmax=limit, alpha=0.6)
        axes[1, column].set_title(f"IG (delta {row.convergence_delta:.1e})", fontsize=9)
        for ax in axes[:, column]:
            ax.axis("off")
    fig.tight_layout()
    return fig


def umap_figure(coordinates: pd.DataFrame, title: str) -> plt.Figure:
    """The UMAP map coloured by WHO subtype (Fig. 5)."""
    fig, ax = plt.subplots(figsize=(6, 5))
    sns.scatterplot(coordinates, x="UMAP1", y="UMAP2", hue="subtype", hue_order=list(SUBTYPES), s=14, ax=ax)
    ax.set_title(title)
    fig.tight_layout()
    return fig
