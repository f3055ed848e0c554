"""Shared fixtures: a tiny phantom cohort (made once per session) and the shared real data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from glioma_lib.cohort.manifest import build_manifest, write_manifest
from glioma_lib.cohort.phantom import PhantomConfig, generate
from glioma_lib.cohort.sources import CohortSources, record_sources
from glioma_lib.core.layout import RunLayout


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``cuda`` skip where no CUDA device is (CI); ``pytest -m cuda`` runs them on a GPU."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


REALDATA = Path(os.environ.get("GLIOMA_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata"))
TINY_SHAPE = (48, 48, 32)


SHIPPED_REALDATA = "../shared/realdata"  # how config/config.yaml spells the real data's folder


def rerooted(value, realdata: Path):
    """Settings (any nesting of dicts) with every path under the shipped real-data folder moved to ``realdata``."""
    if isinstance(value, dict):
        return {k: rerooted(v, realdata) for k, v in value.items()}
    if isinstance(value, str) and value.startswith(SHIPPED_REALDATA):
        return str(realdata) + value[len(SHIPPED_REALDATA):]
    return value


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


class BoxTeacher(torch.nn.Module):
    """A stand-in segmentation teacher: oedema in the central half of each axis of its grid, or
    nothing at all; predictable where a trained teacher is not."""

    def __init__(self, finds_tumour: bool = True):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.finds_tumour = finds_tumour

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(images.shape[0], 4, *images.shape[2:])
        logits[:, 0] = 1.0
        if self.finds_tumour:
            logits[(slice(None), 2, *[slice(s // 4, 3 * s // 4) for s in images.shape[2:]])] = 2.0
        return logits * self.scale


class IntensityTeacher(torch.nn.Module):
    """A stand-in teacher that thresholds its (z-scored; t1, t1ce, t2, flair) input: ``flair_bright``
    marks FLAIR-hyperintense voxels as oedema (where the phantom's tumours are), ``csf`` marks voxels
    dark on FLAIR and bright on T2 (the ventricles and sulci, as a teacher fooled by real anatomy)."""

    def __init__(self, rule: str):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.rule = rule

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        t2, flair = images[:, 2], images[:, 3]
        marked = flair > 1.5 if self.rule == "flair_bright" else (flair < -0.3) & (t2 > 0.8) & (flair != 0)
        logits = torch.zeros(images.shape[0], 4, *images.shape[2:])
        logits[:, 0] = 1.0
        logits[:, 2] = 2.0 * marked
        return logits * self.scale


@pytest.fixture
def outside_scans(phantom_dir, tmp_path) -> Path:
    """A folder of BraTS subjects outside the phantom cohort: one phantom subject renamed
    (``Brats18_OUT_000_1``, with its mask) and one without a mask."""
    folder = tmp_path / "outside"
    sources = sorted((phantom_dir / "brats").glob("Brats18_*"))
    with_mask = next(s for s in sources if any(s.glob("*_seg.*")))
    for source, name, keep_mask in [(with_mask, "Brats18_OUT_000_1", True), (sources[-1], "Brats18_OUT_001_1", False)]:
        (folder / name).mkdir(parents=True)
        for file in source.glob("*.nii.gz"):
            if keep_mask or not file.name.endswith("_seg.nii.gz"):
                shutil.copyfile(file, folder / name / file.name.replace(source.name, name))
    return folder
