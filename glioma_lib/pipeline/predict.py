"""Inference on new patients, the way nnU-Net and MONAI users expect: ``glioma predict -i -o --model``.

For each patient folder (BraTS layout: ``<id>/<id>_t1.nii.gz``, ``_t1ce``, ``_t2``, ``_flair``),
the weak-label teacher segments the tumour on the whole brain; its whole-tumour mask is written in
the patient's own geometry, the ring-enhancement score is computed from its labels, cropped
formats are cut around it, and each model gives its probability averaged over its trials, with
their spread. A one-page PNG report and one CSV row per patient follow. Scans that fail the
checks (unreadable, modalities on different grids, not skull-stripped) are refused with the
patient and the file named, and listed in the CSV; nothing is written into the input folders.

When the teacher finds no tumour, or a mask that is implausible for a glioma (mostly
cerebrospinal fluid, not FLAIR-hyperintense, or far outside the tumour sizes it was trained on;
:mod:`glioma_lib.weak_labels.plausibility`), the patient's status says so: no ring score, and
models on cropped formats give no probability (their crop would be cut around nothing, or around
a false tumour). A mask shipped with the scans is never used for prediction; the teacher's mask is
scored against it (Dice), a check of the teacher on the user's own data. Every row and report says
what the model was trained on: a model trained on the simulator says nothing about real patients.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from glioma_lib.analyses.ring import ring_score
from glioma_lib.cohort.brats import find_brats_subjects, subject_paths, validate_subject
from glioma_lib.cohort.sources import BRATS_SPACING_MM
from glioma_lib.core.atomic import atomic_path, write_table
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.figures import mask_overlay, tumour_slice
from glioma_lib.core.layout import PredictionFolder, weak_mask_file
from glioma_lib.core.metrics import region_dice
from glioma_lib.core.naming import REGIONS
from glioma_lib.core.nifti import load_volume, read_mask, to_brats2018_labels
from glioma_lib.inputs.cache import build_entry
from glioma_lib.pipeline.bundle import TrainedModel, load_trained_model
from glioma_lib.training.loop import choose_device
from glioma_lib.weak_labels.external import mask_volume_ml, subject_labels, subject_row
from glioma_lib.weak_labels.plausibility import implausibility, mask_measures

CAUTION = "Research model, not for diagnosis or any clinical decision."
NO_TUMOUR = "no tumour found"
IMPLAUSIBLE = "implausible tumour mask"
NO_CROP = "no ring score, and no probability from models on cropped formats"
NO_TUMOUR_REASON = f"the teacher's whole-tumour mask is empty: {NO_CROP}"
SYNTHETIC_CAUTION = ("synthetic scans (the project's simulator): its outputs say nothing about real "
                     "patients")  # fmt: skip


def trained_on(model: TrainedModel) -> str:
    """What the model was trained on, with the caution a synthetic training cohort needs."""
    cohort = model.metadata["training_data"]["cohort"]
    return SYNTHETIC_CAUTION if cohort.startswith("synthetic") else cohort


def _probabilities(model: TrainedModel, image: torch.Tensor, device: torch.device) -> np.ndarray:
    """P(class 1) of each trial (already on ``device``) for one preprocessed volume (no decoder)."""
    with torch.no_grad():
        return np.array([float(torch.softmax(trial(image.to(device), segment=False).logits.float(),
                                             dim=1)[0, 1]) for trial in model.trials])  # fmt: skip


def _report_lines(patient: str, row: dict, models: list[TrainedModel]) -> list[str]:
    """The report's text: probabilities with their spread, ring score, volume, checks, caution."""
    lines = [f"Patient {patient}", ""]
    for model in models:
        task = model.task
        positive = model.metadata["outputs"]["classes"][1]
        if np.isnan(row[f"{task}_probability"]):
            lines += [f"P({positive}): none (cropped input, {row['status']})", f"   (model {model.name})"]
            continue
        spread = (f"   SD over {len(model.trials)} trials {row[f'{task}_trial_sd']:.2f}" if len(model.trials) > 1
                  else "   one trial: no spread to show")  # fmt: skip
        lines += [f"P({positive}) = {row[f'{task}_probability']:.2f}", spread, f"   (model {model.name})"]
    ring = f"none ({row['status']})" if np.isnan(row["ring_score"]) else f"{row['ring_score']:.2f}"
    lines += ["", f"Ring-enhancement score {ring}", f"Whole tumour {row['whole_tumour_ml']:.1f} ml (teacher's mask)"]
    if "given_seg_dice_WT" in row:
        lines.append("Dice vs the given mask: " + ", ".join(f"{region} {row[f'given_seg_dice_{region}']:.2f}"
                                                           for region in REGIONS))  # fmt: skip
    if row["status"] == IMPLAUSIBLE:
        lines += ["", "Status: implausible tumour mask", *textwrap.wrap(row["reason"], 52)]
    return [*lines, "", *textwrap.wrap(f"Trained on: {trained_on(models[0])}", 52), "", CAUTION]


def report_figure(patient: str, paths: dict[str, Path], labels: np.ndarray, row: dict,
                  models: list[TrainedModel], given: np.ndarray | None = None) -> plt.Figure:
    """One page: T1ce and FLAIR at the slice with most tumour, the teacher's mask over them (and the
    mask shipped with the scans, when there is one), the probabilities with their spread over
    trials, the ring score and the caution."""
    k = tumour_slice(labels if labels.any() or given is None else given)
    outlines = ("teacher's mask" + (" (yellow)" if labels.any() else ": empty")
                + (", given mask (cyan)" if given is not None else ""))  # fmt: skip
    fig = plt.figure(figsize=(11, 4.6))
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 1, 1.15])
    for column, modality in enumerate(("t1ce", "flair")):
        ax = fig.add_subplot(grid[0, column])
        volume = np.asarray(load_volume(paths[modality], patient).dataobj, dtype=np.float32)
        mask_overlay(ax, volume, labels, k, {"yellow": labels, "cyan": given})
        ax.set_title(f"{'T1ce' if modality == 't1ce' else 'FLAIR'}, axial slice {k}\n{outlines}", fontsize=9)
    text = fig.add_subplot(grid[0, 2])
    text.axis("off")
    text.text(0, 1, "\n".join(_report_lines(patient, row, models)), va="top", family="monospace", fontsize=9,
              wrap=True)  # fmt: skip
    fig.suptitle("glioma predict: research report", fontweight="bold")
    fig.tight_layout()
    return fig


def predict_patient(patient: str, folder: Path, models: list[TrainedModel], out_dir: Path, scratch: Path,
                    device: torch.device) -> dict:
    """Mask, ring score, probabilities and report of one patient; raises InputDataError on bad scans."""
    paths = subject_paths(patient, folder)
    real = models[0].metadata["training_data"]["cohort"] == "real"  # a real model expects BraTS's 1 mm voxels
    validate_subject(patient, paths, expected_spacing=BRATS_SPACING_MM if real else None)  # a given mask too
    given_seg = paths["seg"]  # never used for prediction (a new patient has none): only scored against
    labels, reference = subject_labels(models[0].teacher, models[0].teacher_spec, patient, paths, scratch / "cache")
    measures = mask_measures(labels, *(np.asarray(load_volume(paths[m], patient).dataobj, dtype=np.float32)
                                       for m in ("flair", "t2")))  # fmt: skip
    known_range = models[0].metadata["teacher"].get("tumour_brain_fraction")  # absent from older bundles
    implausible = implausibility(measures, known_range) if labels.any() else []
    found = bool(labels.any()) and not implausible
    status = "ok" if found else (IMPLAUSIBLE if implausible else NO_TUMOUR)
    weak_dir = scratch / "weak"
    weak_dir.mkdir(exist_ok=True)
    nib.save(nib.Nifti1Image(to_brats2018_labels(labels), reference.affine, reference.header),
             weak_mask_file(weak_dir, patient))  # where cropped formats look for the tumour
    files = PredictionFolder(out_dir)
    mask_path = files.whole_tumour_mask(patient)
    with atomic_path(mask_path) as tmp:
        nib.save(nib.Nifti1Image((labels > 0).astype(np.uint8), reference.affine, reference.header), tmp)
    reason = {"ok": "", NO_TUMOUR: NO_TUMOUR_REASON, IMPLAUSIBLE: "; ".join(implausible) + f": {NO_CROP}"}[status]
    result = {"patient_id": patient, "status": status, "reason": reason,
              "whole_tumour_ml": mask_volume_ml(labels, reference),
              "ring_score": ring_score(labels) if found else np.nan, **measures,
              "trained_on": trained_on(models[0]), "mask": str(mask_path)}  # fmt: skip
    truth = None if given_seg is None else read_mask(given_seg, patient)
    if truth is not None:
        result.update({f"given_seg_{name}": value for name, value in region_dice(labels, truth).items()})
    row = subject_row(patient, paths)
    for model in models:
        if model.fmt.cropped and not found:
            result.update({f"{model.task}_probability": np.nan, f"{model.task}_trial_sd": np.nan,
                           f"{model.task}_model": model.name, f"{model.task}_crop": "none"})  # fmt: skip
            continue
        entry, meta = build_entry(row, model.fmt, model.spec, scratch / "cache", weak_dir)
        image = torch.from_numpy(np.array(entry.arrays()[0]))[None].float()
        probabilities = _probabilities(model, image, device)
        result.update({f"{model.task}_probability": float(probabilities.mean()),
                       f"{model.task}_trial_sd": float(probabilities.std(ddof=0)) if len(probabilities) > 1 else np.nan,
                       f"{model.task}_model": model.name, f"{model.task}_crop": meta["crop"]})  # fmt: skip
    report = files.report(patient)
    fig = report_figure(patient, paths, labels, result, models, truth)
    with atomic_path(report) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    result["report"] = str(report)
    return result


def check_shared_teacher(models: list[TrainedModel]) -> None:
    """Every model's cropped inputs are cut around one teacher's mask (the first model's), so the
    models must have been trained with the same teacher at the same preprocessing; else refuse."""
    first, spec = models[0].teacher.state_dict(), models[0].teacher_spec
    for model in models[1:]:
        other = model.teacher.state_dict()
        same = model.teacher_spec == spec and other.keys() == first.keys() and all(
            torch.equal(other[key], first[key]) for key in first)  # fmt: skip
        if not same:
            raise InputDataError(f"models {models[0].name} and {model.name} were trained with different "
                                 "weak-label teachers, so their tumour crops differ; predict with each model "
                                 "separately")  # fmt: skip


def predict(input_dir: str | Path, out_dir: str | Path, model_paths: list[str | Path], device: str = "auto",
            progress: bool = True) -> pd.DataFrame:
    """Predict every patient under ``input_dir`` with the given models (one per task); writes
    ``predictions.csv`` and one folder per patient in ``out_dir``, and returns the table."""
    input_dir, out_dir = Path(input_dir).resolve(), Path(out_dir).resolve()
    if out_dir == input_dir or input_dir in out_dir.parents:
        raise InputDataError("the output folder is inside the input folder; predictions never write into the "
                             "inputs", path=out_dir)  # fmt: skip
    models = [load_trained_model(path) for path in model_paths]
    tasks = [model.task for model in models]
    if not models or len(set(tasks)) != len(tasks):
        raise InputDataError(f"give one model per task (got tasks {tasks})")
    check_shared_teacher(models)
    chosen = choose_device(device)
    models[0].teacher = models[0].teacher.to(chosen)  # the one teacher predict_patient runs
    for model in models:  # on the device once, not per patient
        model.trials = [trial.to(chosen) for trial in model.trials]
    folders = find_brats_subjects(input_dir)
    rows = []
    with tempfile.TemporaryDirectory(prefix="glioma-predict-") as scratch:
        for patient, folder in tqdm(sorted(folders.items()), desc="patients", disable=not progress):
            try:
                rows.append(predict_patient(patient, folder, models, out_dir, Path(scratch), chosen))
                if rows[-1]["status"] != "ok":
                    print(f"{patient}: {rows[-1]['status']} ({rows[-1]['reason']})", flush=True)
            except InputDataError as exc:
                print(f"refused: {exc}", flush=True)
                rows.append({"patient_id": patient, "status": "refused", "reason": str(exc)})
    table = pd.DataFrame(rows)
    write_table(table, PredictionFolder(out_dir).table)
    return table
