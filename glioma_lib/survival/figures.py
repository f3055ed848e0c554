"""Kaplan-Meier curves with numbers at risk, and a forest plot of C-indices."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts

from glioma_lib.core.figures import interval_rows


def km_panel(ax: plt.Axes, fits: dict[str, KaplanMeierFitter], title: str, logrank_p: float) -> None:
    """KM curves of each group on ``ax`` with 95% bands, medians in the legend, numbers at risk below."""
    for group, km in fits.items():
        km.plot_survival_function(ax=ax, label=f"{group} (median {km.median_survival_time_:.1f} mo)")
    ax.set_xlabel("months")
    ax.set_ylabel("overall survival")
    ax.set_title(f"{title} (log-rank p = {logrank_p:.1e})")
    add_at_risk_counts(*fits.values(), ax=ax, rows_to_show=["At risk"])


def km_figure(fits: dict[str, KaplanMeierFitter], title: str, logrank_p: float) -> plt.Figure:
    """KM curves per subtype with 95% bands, medians in the legend, numbers at risk below."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    km_panel(ax, fits, title, logrank_p)
    fig.tight_layout()
    return fig


def forest_figure(c_index: pd.DataFrame) -> plt.Figure:
    """C-index with 95% CI per model and stratum; undefined strata are left out."""
    defined = c_index.dropna(subset=["c_index"]).reset_index(drop=True)
    return interval_rows(defined["c_index"], defined["ci_low"], defined["ci_high"],
                         defined["model"] + " | " + defined["stratum"], 0.5,
                         "Harrell's C-index (validation split), 95% bootstrap CI")  # fmt: skip
