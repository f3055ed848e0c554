"""The cohort step: the phantom once, then the manifest and the sources record in the run folder."""

from __future__ import annotations

import pytest

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.step import load_sources, prepare_cohort
from glioma_lib.core.layout import RunLayout


def test_a_phantom_cohort_is_generated_once_and_recorded(tmp_path):
    layout = RunLayout(tmp_path)
    cohort = {"source": "phantom", "validation_fraction": 0.3, "seed": 0, "workers": 1,
              "phantom": {"n_mr": 6, "n_scna_only": 4, "shape": [32, 32, 24], "seed": 1}}  # fmt: skip
    assert prepare_cohort(cohort, layout) == layout.manifest
    manifest = read_manifest(layout.manifest)
    assert len(manifest) == 10 and layout.curation_report.is_file() and layout.manifest_csv.is_file()
    assert load_sources(layout).brats_root == layout.synthetic / "brats"
    stamp = layout.synthetic.stat().st_mtime_ns
    prepare_cohort(cohort, layout)  # the phantom exists: reused, not regenerated
    assert layout.synthetic.stat().st_mtime_ns == stamp


def test_unknown_source_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown cohort source"):
        prepare_cohort({"source": "elsewhere"}, RunLayout(tmp_path))
