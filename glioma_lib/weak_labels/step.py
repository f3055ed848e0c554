"""The weak-labelling step: the teacher (trained or given), weak masks for every scan without
ground truth, and the teacher's Dice on held-out and planted masks and, when a folder of them is
given, on scans outside the cohort (the default book: the one real BraTS case)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.phantom import TRUTH_MASKS, planted_truth
from glioma_lib.cohort.sources import load_sources
from glioma_lib.config.schema import WeakLabelSettings
from glioma_lib.core.atomic import as_json, atomic_dir, atomic_path, retire_dir, write_json, write_table
from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.core.naming import MODALITIES
from glioma_lib.core.nifti import load_volume, read_mask
from glioma_lib.inputs.cache import build_cache
from glioma_lib.training.loop import choose_device, place_model
from glioma_lib.weak_labels.external import score_on_subjects
from glioma_lib.weak_labels.plausibility import training_range
from glioma_lib.weak_labels.teacher import (
    TEACHER_FORMAT,
    dice_table,
    file_sha256,
    load_teacher,
    teacher_spec,
    teacher_split,
    train_teacher,
    write_weak_masks,
)


def weak_labelling(layout: RunLayout, settings: WeakLabelSettings, progress: bool = True) -> dict:
    """Teacher (trained or given), weak masks for every scan without ground truth, and Dice tables.

    ``settings.external_scans``: a folder of BraTS subjects outside the cohort that ship their
    masks; the teacher is scored on them too (subjects that are in the cohort are skipped)."""
    spec = teacher_spec(settings.shape)
    checkpoint, seed, device = settings.checkpoint, settings.seed, settings.device
    teacher_epochs, teacher_lr, external_scans = settings.teacher_epochs, settings.teacher_lr, settings.external_scans
    manifest = read_manifest(layout.manifest)
    layout.teacher.mkdir(parents=True, exist_ok=True)
    teacher_path = layout.teacher_checkpoint
    train_ids, held_out = teacher_split(manifest, settings.held_out_fraction, seed)
    if checkpoint:
        model = load_teacher(checkpoint)  # validates before anything is written
        made = {"checkpoint_sha256": file_sha256(checkpoint), "spec": spec.key_fields()}
        held_out = sorted(manifest.loc[manifest["has_seg_gt"], "patient_id"])  # it saw none of ours
    else:
        made = {"epochs": teacher_epochs, "seed": seed, "lr": teacher_lr, "spec": spec.key_fields(),
                "patients": train_ids}  # fmt: skip
    made = as_json(made)
    settings_path = layout.teacher_settings
    made_with = json.loads(settings_path.read_text()) if settings_path.exists() else None
    stale = made_with != made or not teacher_path.exists()  # a teacher made otherwise is never reused
    if stale and checkpoint:
        with atomic_path(teacher_path) as tmp:
            shutil.copyfile(checkpoint, tmp)
    elif stale:
        index = build_cache(manifest, TEACHER_FORMAT, spec, layout.cache, None, progress)
        curve = train_teacher(index, train_ids, teacher_path, teacher_epochs, seed, lr=teacher_lr,
                              progress=progress, device=device)
        write_table(curve, layout.teacher_curve)
    write_json(made, settings_path)
    if checkpoint:  # what a given teacher was trained on is unknown
        layout.teacher_tumour_range.unlink(missing_ok=True)
    else:
        write_json(training_range(manifest, train_ids), layout.teacher_tumour_range)
    model = place_model(load_teacher(teacher_path), choose_device(device), mixed=False)  # inference in fp32
    weak = write_weak_masks(model, manifest, spec, layout, teacher_path, progress)
    by_id = manifest.set_index("patient_id")
    tables = [dice_table(model, manifest, held_out, spec, layout.cache, by_id["path_seg"].to_dict(),
                         "ground truth, held out from the teacher")]  # fmt: skip
    planted = _planted_masks(layout, manifest)
    if planted:
        tables.append(dice_table(model, manifest, sorted(planted), spec, layout.cache, planted,
                                 "planted synthetic truth, every MR patient"))  # fmt: skip
    retire_dir(layout.teacher_external_masks)  # masks of a previous teacher or folder are never kept
    if external_scans and Path(external_scans).is_dir():  # the folder may not exist here (as the UMAP's real table)
        with atomic_dir(layout.teacher_external_masks) as out, tempfile.TemporaryDirectory() as cache:
            external = score_on_subjects(model, spec, Path(external_scans).resolve(), out, Path(cache),
                                         exclude=set(manifest["brats_id"].dropna()), progress=progress)
        tables += [external] if len(external) else []
    quality = pd.concat(tables, ignore_index=True)
    write_table(quality, layout.teacher_quality)
    return {"weak": weak, "quality": quality, "teacher_training": train_ids, "held_out": held_out}


def _planted_masks(layout: RunLayout, manifest: pd.DataFrame) -> dict[str, str]:
    """patient -> planted mask, when the cohort is the synthetic phantom (its truth_masks/ folder)."""
    folder = planted_truth(load_sources(layout).brats_root, TRUTH_MASKS)
    if folder is None:
        return {}
    out = {}
    for row in manifest[manifest["has_mr"]].itertuples():
        path = folder / f"{row.brats_id}_seg.nii.gz"
        if path.exists():
            out[row.patient_id] = str(path)
    return out


def weak_mask_example(layout: RunLayout) -> tuple[str, dict[str, np.ndarray], np.ndarray] | None:
    """The first patient with a non-empty weak mask: its id, its four modalities and the teacher's
    four-class mask (internal labels), for the slice viewer; None when no weak mask exists."""
    if not layout.weak_masks_table.exists():
        return None
    table = pd.read_csv(layout.weak_masks_table)
    rows = read_manifest(layout.manifest).set_index("patient_id")
    for patient in table.loc[~table["empty"].astype(bool), "patient_id"]:
        path = weak_mask_file(layout.weak_masks, patient)
        if path.exists():
            images = {m: np.asarray(load_volume(rows.at[patient, f"path_{m}"], patient).dataobj, dtype=np.float32)
                      for m in MODALITIES}  # fmt: skip
            return patient, images, read_mask(path, patient)
    return None
