"""NIfTI masks: the BraTS 2018 and 2021 label conventions on read."""

from __future__ import annotations

import nibabel as nib
import numpy as np

from glioma_lib.core import nifti

REAL_CASE = "Brats18_TCIA12_101_1"


def test_brats2021_convention_is_normalised(tmp_path):
    labels = np.zeros((4, 4, 4), np.uint8)
    labels[0, 0, 0], labels[1, 1, 1], labels[2, 2, 2] = 1, 2, 3
    nib.save(nib.Nifti1Image(labels, np.eye(4)), tmp_path / "m.nii.gz")
    np.testing.assert_array_equal(nifti.read_mask(tmp_path / "m.nii.gz", "p"), labels)
    np.testing.assert_array_equal(nifti.to_brats2018_labels(labels)[2, 2, 2], 4)
