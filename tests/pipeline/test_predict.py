"""glioma predict: its input checks (fast); the end-to-end run on a trained model is in test_workflow."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from glioma_lib.cohort.readers import check_skull_stripped
from glioma_lib.core.errors import InputDataError
from glioma_lib.pipeline.bundle import load_model
from glioma_lib.pipeline.predict import patient_folders, predict


def _scan(path, background: float) -> None:
    data = np.full((20, 20, 20), background, np.float32)
    data[5:15, 5:15, 5:15] = 100
    nib.save(nib.Nifti1Image(data, np.eye(4)), path)


def test_a_scan_with_a_non_zero_background_is_refused_naming_patient_and_file(tmp_path):
    _scan(tmp_path / "stripped.nii.gz", 0)
    check_skull_stripped("P1", tmp_path / "stripped.nii.gz")
    _scan(tmp_path / "skull.nii.gz", 7)
    with pytest.raises(InputDataError, match=r"not skull-stripped.*BrainLes.*patient P1, file .*skull\.nii\.gz"):
        check_skull_stripped("P1", tmp_path / "skull.nii.gz")


def test_the_real_case_is_skull_stripped_and_found_as_one_subject(realdata):
    folder = realdata / "brats_mr"
    subjects = patient_folders(folder)
    assert list(subjects) == ["Brats18_TCIA12_101_1"]
    assert patient_folders(folder / "Brats18_TCIA12_101_1") == subjects  # one subject folder works too
    check_skull_stripped("Brats18_TCIA12_101_1", folder / "Brats18_TCIA12_101_1/Brats18_TCIA12_101_1_t1.nii.gz")


def test_outputs_never_go_into_the_inputs(tmp_path):
    with pytest.raises(InputDataError, match="inside the input folder"):
        predict(tmp_path, tmp_path / "predictions", [tmp_path / "model"])


def test_a_folder_that_is_no_model_is_named(tmp_path):
    with pytest.raises(InputDataError, match="not a model: expected a bundle.*or a finished training run"):
        load_model(tmp_path)
