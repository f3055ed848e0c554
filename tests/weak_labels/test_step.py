"""The weak-labelling step: the teacher and its masks are rebuilt when their settings change."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.layout import RunLayout
from glioma_lib.weak_labels.external import EXTERNAL_REFERENCE
from glioma_lib.weak_labels.step import weak_labelling


def _settings(teacher_epochs: int, external_scans: str | None = None):
    return notebook_settings("02_weak_labelling", {"teacher_epochs": teacher_epochs, "shape": [16, 16, 16],
                                                   "device": "cpu", "external_scans": external_scans})


def test_a_changed_teacher_setting_retrains_the_teacher_and_its_masks(phantom_run, tmp_path):
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    weak_labelling(layout, _settings(1), progress=False)
    first = layout.teacher_checkpoint.read_bytes()
    masks = {p.name: p.stat().st_mtime_ns for p in layout.weak_masks.glob("*.nii.gz")}
    assert json.loads(layout.teacher_settings.read_text())["epochs"] == 1
    tumours = json.loads(layout.teacher_tumour_range.read_text())  # predict's size check
    assert tumours["patients"] == len(json.loads(layout.teacher_settings.read_text())["patients"])
    assert 0 < tumours["brain_fraction"][0] <= tumours["brain_fraction"][1] < 0.5

    weak_labelling(layout, _settings(1), progress=False)  # same settings: reused as they are
    assert layout.teacher_checkpoint.read_bytes() == first

    weak_labelling(layout, _settings(2), progress=False)
    assert json.loads(layout.teacher_settings.read_text())["epochs"] == 2
    assert len(layout.teacher_curve.read_text().strip().splitlines()) == 3  # header and two epochs
    assert layout.teacher_checkpoint.read_bytes() != first
    renewed = {p.name: p.stat().st_mtime_ns for p in layout.weak_masks.glob("*.nii.gz")}
    assert masks and all(renewed.get(name) != stamp for name, stamp in masks.items())


def test_scans_outside_the_cohort_are_scored_and_their_masks_retired_when_dropped(phantom_run, outside_scans, tmp_path):
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    result = weak_labelling(layout, _settings(1, str(outside_scans)), progress=False)
    external = result["quality"][result["quality"]["reference"] == EXTERNAL_REFERENCE]
    assert list(external["patient_id"]) == ["Brats18_OUT_000_1"]
    assert [p.name for p in layout.teacher_external_masks.iterdir()] == ["Brats18_OUT_000_1_teacher.nii.gz"]
    assert (pd.read_csv(layout.teacher_quality)["reference"] == EXTERNAL_REFERENCE).sum() == 1

    result = weak_labelling(layout, _settings(1, str(tmp_path / "absent")), progress=False)
    assert EXTERNAL_REFERENCE not in set(result["quality"]["reference"])  # not here: skipped, as the notebook says
    assert not layout.teacher_external_masks.exists()  # masks of an earlier setting are not left behind
