"""Targets per format, normalisation, crop boxes, and one real subject through every format."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from glioma_lib.cohort.readers import read_mask, subject_paths
from glioma_lib.core.errors import InputDataError
from glioma_lib.inputs import preprocess as pp
from glioma_lib.inputs.formats import FORMATS, IGNORE, segmentation_target

LABELS = np.array([0, 1, 2, 3])


@pytest.mark.parametrize("name, kind, expected", [
    ("all_whole", "gt", [0, 1, 2, 3]), ("all_cropped", "gt", [0, 1, 2, 3]),
    ("t1ce", "gt", [0, 1, IGNORE, 1]), ("t1", "gt", [0, 1, IGNORE, 1]), ("t1ce_minus_t1", "gt", [0, 1, IGNORE, 1]),
    ("t2", "gt", [0, 1, 1, 1]), ("flair", "gt", [0, 1, 1, 1]),
    ("all_cropped", "weak", [0, 1, 1, 1]), ("t1ce", "weak", [0, 1, IGNORE, 1]), ("flair", "weak", [0, 1, 1, 1]),
])  # fmt: skip
def test_segmentation_targets(name, kind, expected):
    np.testing.assert_array_equal(segmentation_target(LABELS, FORMATS[name], kind), expected)


def test_seg_classes_and_channels():
    assert FORMATS["all_whole"].n_seg_classes == 4 and FORMATS["all_whole"].n_channels == 4
    assert FORMATS["t1ce"].n_seg_classes == 2 and not FORMATS["all_whole"].cropped


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


def test_real_subject_through_every_format(realdata):
    case = "Brats18_TCIA12_101_1"
    paths = subject_paths(case, realdata / "brats_mr" / case)
    labels = read_mask(paths["seg"], case)
    for fmt in FORMATS.values():
        image, resized, record = pp.preprocess({k: str(v) for k, v in paths.items() if k != "seg"}, labels, fmt,
                                               pp.PreprocessSpec(shape=(24, 24, 24)), case)  # fmt: skip
        assert image.shape == (fmt.n_channels, 24, 24, 24) and np.isfinite(image).all()
        assert record["crop"] == ("tumour" if fmt.cropped else "brain")
        target = segmentation_target(resized, fmt, "gt")
        assert (target == 1).any() and set(np.unique(target)) <= {IGNORE, 0, 1, 2, 3}
        if fmt.cropped:  # the crop is the tumour box, so the tumour fills much of it
            assert (resized > 0).mean() > 0.1
