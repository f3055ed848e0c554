"""glioma predict: its input checks (fast); the end-to-end run on a trained model is in test_workflow."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from glioma_lib.cohort.readers import preprocessing_faults, subject_paths, validate_subject
from glioma_lib.core.errors import InputDataError
from glioma_lib.pipeline.bundle import load_model
from glioma_lib.pipeline.predict import check_shared_teacher, patient_folders, predict


def _scan(path, background: float) -> None:
    data = np.full((20, 20, 20), background, np.float32)
    data[5:15, 5:15, 5:15] = 100
    nib.save(nib.Nifti1Image(data, np.eye(4)), path)


def test_a_scan_with_a_non_zero_background_is_found_and_a_1_mm_one_passes(tmp_path):
    _scan(tmp_path / "stripped.nii.gz", 0)
    assert preprocessing_faults(nib.load(tmp_path / "stripped.nii.gz"), expected_spacing=1.0) == []
    _scan(tmp_path / "skull.nii.gz", 7)
    (fault,) = preprocessing_faults(nib.load(tmp_path / "skull.nii.gz"), expected_spacing=1.0)
    assert fault.startswith("not skull-stripped: 100% of the voxels on the volume's border are non-zero")


def test_the_real_case_is_skull_stripped_and_found_as_one_subject(realdata):
    folder = realdata / "brats_mr"
    subjects = patient_folders(folder)
    assert list(subjects) == ["Brats18_TCIA12_101_1"]
    assert patient_folders(folder / "Brats18_TCIA12_101_1") == subjects  # one subject folder works too
    paths = subject_paths("Brats18_TCIA12_101_1", folder / "Brats18_TCIA12_101_1")
    check = validate_subject("Brats18_TCIA12_101_1", paths, expected_spacing=1.0)  # BraTS-preprocessed: no fault
    assert check.accepted == [] and check.orientation == "LPS"


def test_outputs_never_go_into_the_inputs(tmp_path):
    with pytest.raises(InputDataError, match="inside the input folder"):
        predict(tmp_path, tmp_path / "predictions", [tmp_path / "model"])


def test_a_folder_that_is_no_model_is_named(tmp_path):
    with pytest.raises(InputDataError, match="not a model: expected a bundle.*or a finished training run"):
        load_model(tmp_path)


def test_models_trained_with_different_teachers_are_refused():
    """Crops are cut around the first model's teacher mask: a second model made with another
    teacher would be given crops it never saw."""
    import torch

    from glioma_lib.inputs.preprocess import PreprocessSpec
    from glioma_lib.pipeline.bundle import TrainedModel

    def model(name: str, teacher: torch.nn.Module) -> TrainedModel:
        return TrainedModel(name, None, PreprocessSpec(shape=(16, 16, 16)), [], teacher,
                            PreprocessSpec(shape=(48, 48, 48)), {})  # fmt: skip

    torch.manual_seed(0)
    teacher = torch.nn.Linear(2, 2)
    check_shared_teacher([model("idh", teacher), model("codel", teacher)])  # one run's models: accepted
    with pytest.raises(InputDataError, match="models idh and codel were trained with different weak-label teachers"):
        check_shared_teacher([model("idh", teacher), model("codel", torch.nn.Linear(2, 2))])
