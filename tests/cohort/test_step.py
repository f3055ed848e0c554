"""The cohort step: the phantom once, then the manifest and the sources record in the run folder."""

from __future__ import annotations

import pandas as pd
import pytest

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.sources import load_sources
from glioma_lib.cohort.step import prepare_cohort
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.layout import RunLayout


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_a_phantom_cohort_is_generated_once_and_recorded(tmp_path):
    layout = RunLayout(tmp_path)
    cohort = notebook_settings("01_data_curation", {"validation_fraction": 0.3, "workers": 1, "n_mr": 6,
                                                    "n_scna_only": 4, "shape": [32, 32, 24], "phantom_seed": 1})
    assert prepare_cohort(cohort, layout) == layout.manifest
    manifest = read_manifest(layout.manifest)
    assert len(manifest) == 10 and layout.curation_report.is_file() and layout.manifest_csv.is_file()
    assert load_sources(layout).brats_root == layout.synthetic / "brats"
    assert set(pd.read_csv(layout.ceilings)["planted cues"]) == {"imaging", "SCNA", "imaging + SCNA"}
    stamp = layout.synthetic.stat().st_mtime_ns
    prepare_cohort(cohort, layout)  # the phantom exists: reused, not regenerated
    assert layout.synthetic.stat().st_mtime_ns == stamp

