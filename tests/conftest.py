"""Shared fixtures: a tiny phantom cohort (made once per session) and the shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glioma_lib.cohort.manifest import CohortSources, build_manifest, write_manifest
from glioma_lib.cohort.phantom import PhantomConfig, generate
from glioma_lib.cohort.step import record_sources
from glioma_lib.core.layout import RunLayout


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``cuda`` skip where no CUDA device is (CI); ``pytest -m cuda`` runs them on a GPU."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


REALDATA = Path(os.environ.get("GLIOMA_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"))
TINY_SHAPE = (48, 48, 32)


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The shared real data folder; tests that need it skip only when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"shared real data not found at {REALDATA}")
    return REALDATA


@pytest.fixture(scope="session")
def phantom_dir(tmp_path_factory) -> Path:
    """A small synthetic cohort: 12 MR patients, 8 SCNA-only, 48x48x32 voxels."""
    out = tmp_path_factory.mktemp("phantom") / "cohort"
    return generate(out, PhantomConfig(n_mr=12, n_scna_only=8, shape=TINY_SHAPE, seed=3), progress=False)


@pytest.fixture(scope="session")
def phantom_manifest(phantom_dir):
    manifest, _ = build_manifest(CohortSources.phantom(phantom_dir))
    return manifest


@pytest.fixture(scope="session")
def phantom_run(phantom_dir, tmp_path_factory) -> RunLayout:
    """A run folder whose cohort step is done on the small phantom."""
    layout = RunLayout(tmp_path_factory.mktemp("run"))
    sources = CohortSources.phantom(phantom_dir)
    manifest, report = build_manifest(sources)
    write_manifest(manifest, report, layout.cohort_folder)
    record_sources(sources, layout)
    return layout


@pytest.fixture
def c_index_table() -> pd.DataFrame:
    """A survival step's C-index table: two MTL runs and the SCNA model, one stratum without events."""
    rows = []
    for model, fmt, scna, value in [("idh-t1ce-mtl", "t1ce", False, 0.70), ("idh-t1ce-mtl-scna", "t1ce", True, 0.75),
                                    ("SCNA PCA (first 5 PCs)", None, True, 0.65)]:  # fmt: skip
        for stratum in ("overall", "IDH-wildtype", "IDH-mutant 1p/19q-intact", "1p/19q-codeleted"):
            undefined = stratum == "1p/19q-codeleted"
            rows.append({"stratum": stratum, "c_index": np.nan if undefined else value, "ci_low": value - 0.1,
                         "ci_high": value + 0.1, "patients": 10, "events": 0 if undefined else 5,
                         "undefined_because": "no events" if undefined else None, "model": model,
                         "input_format": fmt, "use_scna": scna})  # fmt: skip
    return pd.DataFrame(rows)
