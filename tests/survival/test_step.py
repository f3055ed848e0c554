"""The survival step on a cohort without trained runs: KM by subtype and the SCNA-only Cox model."""

from __future__ import annotations

import shutil

import pandas as pd

from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.layout import RunLayout
from glioma_lib.survival.step import survival_analysis


def test_without_runs_it_still_fits_km_and_the_scna_model(phantom_run, tmp_path):
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    settings = notebook_settings("04_survival", {"runs": [], "bootstrap": 20, "pca_dim": 5, "k": 3})
    result = survival_analysis(layout, settings)
    for path in (layout.km_summary, layout.c_index, layout.paired_c_index, layout.survival_record):
        assert path.is_file(), path
    assert set(pd.read_csv(layout.c_index)["model"]) == {"SCNA PCA (first 3 PCs)"}
    assert result["paired"].empty  # no MR runs: nothing to pair
