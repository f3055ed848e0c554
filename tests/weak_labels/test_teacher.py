"""Weak labelling: geometry of written masks, binarisation, empty predictions, resume, checkpoints, Dice."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import torch

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.inputs.cache import build_cache
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.weak_labels.teacher import (
    TEACHER_FORMAT,
    TeacherMismatch,
    dice_table,
    load_teacher,
    train_teacher,
    write_weak_masks,
)

SPEC = PreprocessSpec(shape=(24, 24, 24))


class PlantedTeacher(torch.nn.Module):
    """Predicts every class somewhere (or only background), whatever the input."""

    def __init__(self, empty: bool = False):
        super().__init__()
        self.empty = empty

    def forward(self, x):
        size = x.shape[2:]
        classes = torch.zeros(size, dtype=torch.long)
        if not self.empty:
            stripes = torch.arange(size[1])[None, :, None].remainder(4)
            classes[: size[0] // 2] = stripes.expand(size[0] // 2, -1, size[2])
        logits = torch.nn.functional.one_hot(classes, 4).permute(3, 0, 1, 2).float() * 10
        return logits.expand(len(x), *logits.shape)


@pytest.fixture
def manifest(phantom_run):
    return read_manifest(phantom_run.manifest)


def test_masks_keep_geometry_and_binarise_labels_1_2_4(manifest, tmp_path):
    teacher = tmp_path / "t.pt"
    teacher.write_bytes(b"stand-in checkpoint for the checksum")
    table = write_weak_masks(PlantedTeacher(), manifest, SPEC, RunLayout(tmp_path), teacher, False)
    todo = manifest[manifest["has_mr"] & ~manifest["has_seg_gt"]]
    assert set(table["patient_id"]) == set(todo["patient_id"]) and not table["empty"].any()
    for row in todo.itertuples():
        four, binary = (weak_mask_file(RunLayout(tmp_path).weak_masks, row.patient_id, k) for k in ("four", "wt"))
        reference = nib.load(row.path_t1)
        for path in (four, binary):
            image = nib.load(path)
            assert image.shape == reference.shape and np.allclose(image.affine, reference.affine)
        labels = np.asarray(nib.load(four).dataobj)
        assert set(np.unique(labels)) == {0, 1, 2, 4}
        np.testing.assert_array_equal(np.asarray(nib.load(binary).dataobj), np.isin(labels, (1, 2, 4)))
    assert (RunLayout(tmp_path).weak_masks_record).exists()
    weak = str(RunLayout(tmp_path).weak_masks)
    assert not any(str(p).startswith(weak) for p in manifest["path_t1"])  # outside the inputs


def test_empty_prediction_is_flagged_not_written(manifest, tmp_path):
    teacher = tmp_path / "t.pt"
    teacher.write_bytes(b"x")
    table = write_weak_masks(PlantedTeacher(empty=True), manifest, SPEC, RunLayout(tmp_path), teacher, False)
    assert table["empty"].all()
    assert not list((RunLayout(tmp_path).weak_masks).glob("*.nii.gz"))


def test_resume_skips_finished_patients(manifest, tmp_path):
    teacher = tmp_path / "t.pt"
    teacher.write_bytes(b"x")
    write_weak_masks(PlantedTeacher(), manifest, SPEC, RunLayout(tmp_path), teacher, False)
    stamps = {p: p.stat().st_mtime_ns for p in (RunLayout(tmp_path).weak_masks).glob("*.nii.gz")}
    again = write_weak_masks(PlantedTeacher(), manifest, SPEC, RunLayout(tmp_path), teacher, False)
    assert again["resumed"].all()
    assert {p: p.stat().st_mtime_ns for p in (RunLayout(tmp_path).weak_masks).glob("*.nii.gz")} == stamps


def test_mismatched_checkpoint_gives_a_clear_error(tmp_path):
    path = tmp_path / "one_channel.pt"
    torch.save(ESPNet3D(in_channels=1, n_classes=2).state_dict(), path)
    with pytest.raises(TeacherMismatch, match=r"4 input channels.*shape mismatch"):
        load_teacher(path)
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(TeacherMismatch, match="cannot read"):
        load_teacher(tmp_path / "garbage.pt")


@pytest.mark.slow
def test_teacher_beats_all_background(manifest, tmp_path):
    index = build_cache(manifest, TEACHER_FORMAT, SPEC, tmp_path / "cache", None, progress=False)
    gt = sorted(manifest.loc[manifest["has_seg_gt"], "patient_id"])
    train_teacher(index, gt, tmp_path / "teacher.pt", epochs=40, lr=2e-3, progress=False)
    model = load_teacher(tmp_path / "teacher.pt")
    quality = dice_table(model, manifest, gt, SPEC, tmp_path / "cache", manifest.set_index("patient_id")["path_seg"],
                         "gt")  # fmt: skip
    assert quality["dice_all_background_WT"].max() == 0
    assert quality["dice_WT"].mean() > 0.5  # a mask of the whole brain scores about 0.16 here


def test_the_teacher_trains_on_the_chosen_device_through_the_shared_loop(manifest, tmp_path, monkeypatch):
    """The device plumbing, on the CPU: the device asked for is the one chosen, and every batch and
    the model go to it; the checkpoint says what the teacher expects."""
    import glioma_lib.weak_labels.teacher as module

    asked, moved = [], []
    monkeypatch.setattr(module, "choose_device", lambda name: asked.append(name) or torch.device("cpu"))
    real_to_device = module.batch_on_device
    monkeypatch.setattr(module, "batch_on_device",
                        lambda batch, device, mixed: moved.append(device) or real_to_device(batch, device, mixed))
    index = build_cache(manifest, TEACHER_FORMAT, SPEC, tmp_path / "cache", None, progress=False)
    gt = sorted(manifest.loc[manifest["has_seg_gt"], "patient_id"])
    train_teacher(index, gt, tmp_path / "teacher.pt", epochs=1, progress=False, device="cuda:3")
    assert asked == ["cuda:3"] and moved and set(moved) == {torch.device("cpu")}
    saved = torch.load(tmp_path / "teacher.pt", weights_only=True)
    assert saved["metadata"]["channels"] == ["t1", "t1ce", "t2", "flair"] and len(saved["metadata"]["classes"]) == 4


def test_masks_of_another_teacher_are_retired_not_resumed(manifest, tmp_path):
    teacher = tmp_path / "t.pt"
    teacher.write_bytes(b"first teacher")
    write_weak_masks(PlantedTeacher(), manifest, SPEC, RunLayout(tmp_path), teacher, False)
    teacher.write_bytes(b"second teacher")
    again = write_weak_masks(PlantedTeacher(), manifest, SPEC, RunLayout(tmp_path), teacher, False)
    assert not again["resumed"].any()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".weak")] == []  # the old masks are gone


def test_teacher_refuses_to_train_on_nothing(manifest, tmp_path):
    from glioma_lib.core.errors import InputDataError

    index = build_cache(manifest, TEACHER_FORMAT, SPEC, tmp_path / "cache", None, progress=False)
    one = sorted(manifest.loc[manifest["has_seg_gt"], "patient_id"])[:1]
    with pytest.raises(InputDataError, match="training split has 1 patients with ground-truth masks, fewer than one"):
        train_teacher(index, one, tmp_path / "teacher.pt", epochs=1, batch_size=2, progress=False)
    assert not (tmp_path / "teacher.pt").exists()
