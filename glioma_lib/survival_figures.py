"""Kaplan-Meier curves with numbers at risk, and a forest plot of C-indices."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts


def km_figure(fits: dict[str, KaplanMeierFitter], title: str, logrank_p: float) -> plt.Figure:
    """KM curves per subtype with 95% bands, medians in the legend, numbers at risk below."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for subtype, km in fits.items():
        km.plot_survival_function(ax=ax, label=f"{subtype} (median {km.median_survival_time_:.1f} mo)")
    ax.set_xlabel("months")
    ax.set_ylabel("overall survival")
    ax.set_title(f"{title} (log-rank p = {logrank_p:.1e})")
    add_at_risk_counts(*fits.values(), ax=ax, rows_to_show=["At risk"])
    fig.tight_layout()
    return fig


def forest_figure(c_index: pd.DataFrame) -> plt.Figure:
    """C-index with 95% CI per model and stratum; undefined strata are left out and listed."""
    defined = c_index.dropna(subset=["c_index"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(defined) + 1.5))
    labels = defined["model"] + " | " + defined["stratum"]
    ax.errorbar(defined["c_index"], range(len(defined)),
                xerr=[defined["c_index"] - defined["ci_low"], defined["ci_high"] - defined["c_index"]],
                fmt="o", capsize=3)  # fmt: skip
    ax.axvline(0.5, ls=":", color="k")
    ax.set_yticks(range(len(defined)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("Harrell's C-index (validation split), 95% bootstrap CI")
    fig.tight_layout()
    return fig
