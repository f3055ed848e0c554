"""glioma predict: its input checks (fast); the end-to-end run on a trained model is in test_workflow."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pytest
import torch

from glioma_lib.cohort.brats import find_brats_subjects, preprocessing_faults, subject_paths, validate_subject
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.metrics import dice
from glioma_lib.core.nifti import read_mask
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.pipeline.bundle import TrainedModel, load_trained_model
from glioma_lib.pipeline.predict import check_shared_teacher, predict, predict_patient
from tests.conftest import BoxTeacher, IntensityTeacher


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
    subjects = find_brats_subjects(folder)
    assert list(subjects) == ["Brats18_TCIA12_101_1"]
    assert find_brats_subjects(folder / "Brats18_TCIA12_101_1") == subjects  # one subject folder works too
    paths = subject_paths("Brats18_TCIA12_101_1", folder / "Brats18_TCIA12_101_1")
    check = validate_subject("Brats18_TCIA12_101_1", paths, expected_spacing=1.0)  # BraTS-preprocessed: no fault
    assert check.accepted == [] and check.orientation == "LPS"


def test_outputs_never_go_into_the_inputs(tmp_path):
    with pytest.raises(InputDataError, match="inside the input folder"):
        predict(tmp_path, tmp_path / "predictions", [tmp_path / "model"])


def test_a_folder_that_is_no_model_is_named(tmp_path):
    with pytest.raises(InputDataError, match="not a model: expected a bundle.*or a finished training run"):
        load_trained_model(tmp_path)


def test_models_trained_with_different_teachers_are_refused():
    """Crops are cut around the first model's teacher mask: a second model made with another
    teacher would be given crops it never saw."""
    def model(name: str, teacher: torch.nn.Module) -> TrainedModel:
        return TrainedModel(name, None, PreprocessSpec(shape=(16, 16, 16)), [], teacher,
                            PreprocessSpec(shape=(48, 48, 48)), {})  # fmt: skip

    torch.manual_seed(0)
    teacher = torch.nn.Linear(2, 2)
    check_shared_teacher([model("idh", teacher), model("codel", teacher)])  # one run's models: accepted
    with pytest.raises(InputDataError, match="models idh and codel were trained with different weak-label teachers"):
        check_shared_teacher([model("idh", teacher), model("codel", torch.nn.Linear(2, 2))])


class _ConstantClassifier(torch.nn.Module):
    """A stand-in trial that gives every patient the same class-1 logit."""

    def __init__(self, logit: float):
        super().__init__()
        self.logit = logit

    def forward(self, image: torch.Tensor, segment: bool = False) -> SimpleNamespace:
        return SimpleNamespace(logits=torch.tensor([[0.0, self.logit]]))


def _models(teacher: torch.nn.Module) -> list[TrainedModel]:
    """An IDH model on a cropped format (two trials) and a 1p/19q model on whole brains, sharing ``teacher``."""
    metadata = {"outputs": {"classes": ["negative", "positive"]}, "training_data": {"cohort": "synthetic"},
                "teacher": {"tumour_brain_fraction": None}}  # fmt: skip
    return [TrainedModel(name, {"task": task, "input_format": fmt}, PreprocessSpec(shape=(8, 8, 8)),
                         [_ConstantClassifier(logit) for logit in logits], teacher, PreprocessSpec(shape=(16, 16, 16)),
                         metadata)
            for name, task, fmt, logits in [("idh-model", "idh", "t1ce", (0.0, 2.0)),
                                            ("codel-model", "codel", "all_whole", (1.0,))]]  # fmt: skip


@pytest.fixture
def subject_with_mask(phantom_dir, tmp_path) -> Path:
    """A copy of one phantom subject that ships its ground-truth mask."""
    source = next(folder for folder in sorted((phantom_dir / "brats").glob("Brats18_*")) if any(folder.glob("*_seg.*")))
    return Path(shutil.copytree(source, tmp_path / "scans" / source.name))


def test_a_given_mask_is_scored_against_never_used(subject_with_mask, tmp_path):
    patient = subject_with_mask.name
    (tmp_path / "out").mkdir()
    row = predict_patient(patient, subject_with_mask, _models(IntensityTeacher("flair_bright")), tmp_path / "out",
                          tmp_path, torch.device("cpu"))  # fmt: skip
    assert row["status"] == "ok" and np.isfinite(row["ring_score"]) and row["idh_crop"] == "tumour"
    written = np.asarray(nib.load(row["mask"]).dataobj)
    truth = read_mask(subject_with_mask / f"{patient}_seg.nii.gz", patient)
    assert 0 < row["given_seg_dice_WT"] == pytest.approx(dice(written, (truth > 0).astype(int), (1,)))  # as written
    assert row["idh_probability"] == pytest.approx((0.5 + 1 / (1 + np.exp(-2))) / 2)  # the mean over trials
    assert row["codel_probability"] == pytest.approx(1 / (1 + np.exp(-1))) and np.isnan(row["codel_trial_sd"])


def test_no_tumour_found_is_said_and_cropped_models_give_no_probability(subject_with_mask, tmp_path):
    (tmp_path / "out").mkdir()
    row = predict_patient(subject_with_mask.name, subject_with_mask, _models(BoxTeacher(finds_tumour=False)),
                          tmp_path / "out", tmp_path, torch.device("cpu"))  # fmt: skip
    assert row["status"] == "no tumour found" and "empty" in row["reason"]
    assert row["whole_tumour_ml"] == 0 and np.isnan(row["ring_score"]) and row["given_seg_dice_WT"] == 0
    assert np.isnan(row["idh_probability"]) and row["idh_crop"] == "none"  # its crop would be cut around nothing
    assert row["codel_probability"] == pytest.approx(1 / (1 + np.exp(-1)))  # a whole-brain model still answers
    assert Path(row["report"]).stat().st_size > 10_000


def test_a_given_mask_with_foreign_labels_refuses_the_patient_naming_it(subject_with_mask, tmp_path):
    patient = subject_with_mask.name
    seg = subject_with_mask / f"{patient}_seg.nii.gz"
    image = nib.load(seg)
    nib.save(nib.Nifti1Image(np.full(image.shape, 7, np.uint8), image.affine), seg)
    expected = rf"labels \[7\] outside the BraTS conventions \(patient {patient}, file .*_seg.nii.gz"
    with pytest.raises(InputDataError, match=expected):
        predict_patient(patient, subject_with_mask, _models(IntensityTeacher("flair_bright")), tmp_path, tmp_path,
                        torch.device("cpu"))  # fmt: skip


def test_a_mask_in_the_ventricles_is_not_ok_and_gives_no_probability_from_a_crop(realdata, tmp_path):
    """On the real case, a teacher that marks cerebrospinal fluid (ventricles, sulci) as tumour: the
    status says the mask is implausible, with no ring score and no probability from the cropped
    model; the whole-brain model still answers, and every row says the models are synthetic."""
    subject = realdata / "brats_mr/Brats18_TCIA12_101_1"
    (tmp_path / "out").mkdir()
    row = predict_patient(subject.name, subject, _models(IntensityTeacher("csf")), tmp_path / "out", tmp_path,
                          torch.device("cpu"))  # fmt: skip
    assert row["status"] == "implausible tumour mask" and row["whole_tumour_ml"] > 0
    assert row["csf_like_fraction"] > 0.3 and "cerebrospinal fluid" in row["reason"]
    assert np.isnan(row["ring_score"]) and np.isnan(row["idh_probability"]) and row["idh_crop"] == "none"
    assert np.isfinite(row["codel_probability"])
    assert "synthetic scans" in row["trained_on"] and "nothing about real patients" in row["trained_on"]
    assert row["given_seg_dice_WT"] < 0.2  # against the case's own mask: the stand-in missed the tumour


def test_the_plausibility_checks_pass_real_and_planted_tumours(realdata, phantom_dir):
    """Each check could fail: the real case's own mask and a planted tumour pass, its ventricles fail."""
    from glioma_lib.weak_labels.plausibility import implausibility, mask_measures

    def volumes(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        paths = subject_paths(folder.name, folder)
        return (read_mask(paths["seg"], folder.name), *(np.asarray(nib.load(paths[m]).dataobj, np.float32)
                                                        for m in ("flair", "t2")))  # fmt: skip

    labels, flair, t2 = volumes(realdata / "brats_mr/Brats18_TCIA12_101_1")
    assert implausibility(mask_measures(labels, flair, t2), None) == []
    brain = flair > 0
    ventricles = (flair < np.median(flair[brain])) & (t2 > np.percentile(t2[brain], 90)) & brain
    reasons = implausibility(mask_measures(ventricles.astype(np.uint8), flair, t2), None)
    assert len(reasons) == 2 and "cerebrospinal fluid" in reasons[0]
    share = mask_measures(labels, flair, t2)["brain_fraction"]
    assert "outside the" in implausibility(mask_measures(labels, flair, t2), [share * 4, share * 8])[0]
    planted = next(f for f in sorted((phantom_dir / "brats").glob("Brats18_*")) if any(f.glob("*_seg.*")))
    assert implausibility(mask_measures(*volumes(planted)), None) == []


def test_brats_toolkit_folders_are_predicted(subject_with_mask, tmp_path):
    """A subject laid out as BraTS Toolkit / BrainLes preprocessing writes it (`_t1_bet`, `_t1c_bet`, ...)."""
    from glioma_lib.cohort.brats import image_stem

    folder = tmp_path / "toolkit" / "TCGA-FG-6692"
    folder.mkdir(parents=True)
    for image in ("t1", "t1ce", "t2", "flair", "seg"):
        source = subject_with_mask / f"{image_stem(subject_with_mask.name, image)}.nii.gz"
        shutil.copyfile(source, folder / f"{image_stem('TCGA-FG-6692', image, 'BraTS Toolkit')}.nii.gz")
    assert list(find_brats_subjects(tmp_path / "toolkit")) == ["TCGA-FG-6692"]
    (tmp_path / "out").mkdir()
    row = predict_patient("TCGA-FG-6692", folder, _models(IntensityTeacher("flair_bright")), tmp_path / "out",
                          tmp_path, torch.device("cpu"))  # fmt: skip
    assert row["status"] == "ok" and np.isfinite(row["idh_probability"])
