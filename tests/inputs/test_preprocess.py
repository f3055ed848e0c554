"""Preprocessing: the tumour box, per-channel normalisation, empty masks."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from glioma_lib.core.errors import InputDataError
from glioma_lib.inputs import preprocess as pp
from glioma_lib.inputs.formats import FORMATS


def test_bounding_box_holds_tumour_plus_margin():
    mask = np.zeros((20, 20, 20), bool)
    mask[5:8, 10:15, 0:3] = True
    box = pp.bounding_box(mask, margin=2)
    assert box == (slice(3, 10), slice(8, 17), slice(0, 5))  # clipped at the volume's edge
    assert mask[box].sum() == mask.sum()


def test_normalisation_is_per_channel(tmp_path):
    rng = np.random.default_rng(0)
    brain = np.zeros((16, 16, 16), bool)
    brain[3:13, 3:13, 3:13] = True
    volumes = {m: np.where(brain, rng.uniform(100, 200, brain.shape), 0) for m in ("t1", "t1ce", "t2", "flair")}
    volumes["flair"] *= 1000  # a modality with a huge range must not squash the others
    paths = {}
    for m, v in volumes.items():
        paths[m] = str(tmp_path / f"{m}.nii.gz")
        nib.save(nib.Nifti1Image(v.astype(np.float32), np.eye(4)), paths[m])
    channels, mask = pp.load_channels(paths, ("t1", "t1ce", "t2", "flair", "t1ce_minus_t1"), "p")
    np.testing.assert_array_equal(mask, brain)
    for c in range(4):
        inside = channels[c][brain]
        assert abs(inside.mean()) < 1e-4 and inside.std() == pytest.approx(1, abs=1e-3)
        assert (channels[c][~brain] == 0).all()
    np.testing.assert_allclose(channels[4], channels[1] - channels[0], atol=1e-6)


def test_empty_mask_stops_or_falls_back(phantom_manifest):
    row = phantom_manifest[phantom_manifest["has_mr"]].iloc[0]
    paths = {m: row[f"path_{m}"] for m in ("t1", "t1ce", "t2", "flair")}
    empty = np.zeros(nib.load(paths["t1"]).shape, np.uint8)
    spec = pp.PreprocessSpec(shape=(8, 8, 8))
    with pytest.raises(InputDataError, match=f"empty.*{row['patient_id']}"):
        pp.preprocess(paths, empty, FORMATS["t1ce"], spec, row["patient_id"])
    fallback = pp.PreprocessSpec((8, 8, 8), empty_mask_policy="centre")
    image, _, record = pp.preprocess(paths, empty, FORMATS["t1ce"], fallback, row["patient_id"])
    assert record["crop"] == "centre" and record["fallback"] and image.shape == (1, 8, 8, 8)
