"""The teacher on scans outside the cohort: scored against their own masks, which it never sees."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from glioma_lib.core.metrics import region_dice
from glioma_lib.core.nifti import read_mask
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.weak_labels.external import EXTERNAL_REFERENCE, external_figure, score_on_subjects
from tests.conftest import BoxTeacher


def test_subjects_with_masks_are_scored_those_without_or_excluded_are_not(outside_scans, tmp_path):
    out = tmp_path / "masks"
    out.mkdir()
    spec = PreprocessSpec(shape=(16, 16, 16))
    table = score_on_subjects(BoxTeacher(), spec, outside_scans, out, tmp_path / "cache", progress=False)
    assert list(table["patient_id"]) == ["Brats18_OUT_000_1"]  # the other ships no mask
    row = table.iloc[0]
    assert row["reference"] == EXTERNAL_REFERENCE
    teacher = read_mask(out / "Brats18_OUT_000_1_teacher.nii.gz", "Brats18_OUT_000_1")
    given_path = outside_scans / "Brats18_OUT_000_1/Brats18_OUT_000_1_seg.nii.gz"
    given = read_mask(given_path, "Brats18_OUT_000_1")
    for name, value in region_dice(teacher, given).items():  # the written mask is the one scored
        assert row[name] == pytest.approx(value)
    voxel_ml = float(np.prod(nib.load(given_path).header.get_zooms())) / 1000
    assert row["mask_WT_ml"] == pytest.approx((given > 0).sum() * voxel_ml)
    assert row["teacher_WT_ml"] == pytest.approx((teacher > 0).sum() * voxel_ml) and row["teacher_WT_ml"] > 0
    excluded = score_on_subjects(BoxTeacher(), spec, outside_scans, out, tmp_path / "cache",
                                 exclude={"Brats18_OUT_000_1"}, progress=False)  # fmt: skip
    assert excluded.empty  # a cohort subject is scored with the cohort, never twice
    figure = external_figure(table, out)
    assert [ax.get_title() for ax in figure.axes] == [f"Brats18_OUT_000_1: WT Dice {row['dice_WT']:.2f}"]
