"""Figures of the results chapter draw every comparison."""

from __future__ import annotations

import numpy as np

from glioma_lib.results.tables import collect_aucs, label_efficiency, model_comparisons
from tests.results.conftest import _write_run


def test_forest_and_label_efficiency_figures_draw_every_row(runs):
    import matplotlib

    matplotlib.use("Agg")
    from glioma_lib.results.figures import label_efficiency_figure, paired_forest

    aucs = collect_aucs(runs, runs.finished_runs())
    paired = model_comparisons(runs, aucs, n_boot=100)
    axis = paired_forest(paired).axes[0]
    assert len(axis.containers) == len(paired) and len(axis.get_yticklabels()) == len(paired)
    figure = label_efficiency_figure(label_efficiency(aucs))
    assert len(figure.axes) == 1 and len(figure.axes[0].containers) == 2  # CNN and MTL
    labels = np.array([0, 1] * 40)
    for name in ("idh-t1ce-radiomics", "idh-t1ce-radiomics-n20", "idh-t1ce-mean_teacher"):
        _write_run(runs, name, labels, np.random.default_rng(3).normal(size=80))  # mean teacher: full size only
    figure = label_efficiency_figure(label_efficiency(collect_aucs(runs, runs.finished_runs())))
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert sorted(legend) == ["CNN", "MTL", "Radiomics"] and len(figure.axes[0].containers) == 3  # no one-point series
