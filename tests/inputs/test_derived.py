"""A run folder's derived data: a format's cache and the SCNA PCA, rebuilt when their settings change."""

from __future__ import annotations

import shutil

import numpy as np

from glioma_lib.core.layout import RunLayout
from glioma_lib.inputs.derived import cache_format, scna_embedding
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.inputs.scna import ScnaPCA


def test_scna_pca_follows_the_requested_dimension(phantom_run, tmp_path):
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    first = scna_embedding(layout, n_components=5)
    assert first.shape[1] == 5 and ScnaPCA.load(layout.scna_pca).n_components == 5
    again = scna_embedding(layout, n_components=3)  # a changed setting: refitted, never the stale file
    assert again.shape[1] == 3 and ScnaPCA.load(layout.scna_pca).n_components == 3
    np.testing.assert_allclose(np.abs(again.to_numpy()), np.abs(first.to_numpy()[:, :3]), atol=1e-6)


def test_cache_format_indexes_every_mr_patient(phantom_run, tmp_path):
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    index = cache_format(layout, "t1ce", PreprocessSpec(shape=(12, 12, 12), empty_mask_policy="centre"), progress=False)
    assert len(index) == 12 and index["entry"].map(lambda e: str(layout.cache) in e).all()
