"""Survival figures: one curve per subtype, one row per defined C-index."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from glioma_lib.survival.figures import forest_figure, km_figure
from glioma_lib.survival.stats import kaplan_meier_by_subtype

matplotlib.use("Agg")


def test_km_figure_draws_each_subtype(phantom_manifest):
    fits, _, p = kaplan_meier_by_subtype(phantom_manifest)
    axis = km_figure(fits, "phantom", p).axes[0]
    assert len(axis.get_legend().get_texts()) == len(fits)


def test_forest_leaves_out_undefined_strata():
    c_index = pd.DataFrame({"model": ["a", "a", "b"], "stratum": ["overall", "IDH-wildtype", "overall"],
                            "c_index": [0.6, np.nan, 0.7], "ci_low": [0.5, np.nan, 0.6], "ci_high": [0.7, np.nan, 0.8]})
    assert len(forest_figure(c_index).axes[0].containers) == 2
