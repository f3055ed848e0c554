"""Figures of the analyses chapters."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from glioma_lib.analyses.figures import attribution_figure, status_bars, umap_figure
from glioma_lib.core.naming import SUBTYPES

matplotlib.use("Agg")


def test_status_bars_count_within_idh_groups():
    table = pd.DataFrame({"idh_mutant": [True, True, False, False, False], "ring": [False, False, True, True, False]})
    axis = status_bars(table, "ring", {True: "ring", False: "no ring"}, "ring").axes[0]
    counts = sorted(int(b.get_height()) for c in axis.containers for b in c if b.get_height() > 0)
    assert counts == [1, 2, 2]


def test_attribution_figure_has_an_image_and_a_map_per_patient(tmp_path):
    rows = []
    for i in range(2):
        path = tmp_path / f"p{i}.npz"
        np.savez(path, image=np.random.default_rng(i).random((1, 8, 8, 6)), attributions=np.ones((1, 8, 8, 6)))
        rows.append({"correct": bool(i), "ring": False, "p_idh_mutant": 0.3, "convergence_delta": 1e-4,
                     "arrays": str(path)})
    assert len(attribution_figure(pd.DataFrame(rows)).axes) == 4


def test_umap_figure_colours_every_subtype():
    coordinates = pd.DataFrame({"UMAP1": range(6), "UMAP2": range(6), "subtype": list(SUBTYPES) * 2})
    assert len(umap_figure(coordinates, "x").axes[0].get_legend().get_texts()) == 3
