"""The teacher on scans outside the cohort: a new patient's labels (``glioma predict``) and the
teacher's Dice on a folder of subjects that ship their masks (in the default book: the one real
BraTS case, a check of a teacher trained on synthetic scans against real anatomy).

A subject's own mask is never shown to the teacher: its labels come from the four modalities alone,
in the subject's own grid, and the mask is only scored against.
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
from tqdm import tqdm

from glioma_lib.cohort.readers import (
    find_brats_subjects,
    load_volume,
    read_mask,
    subject_paths,
    to_brats2018_labels,
    validate_subject,
)
from glioma_lib.core.atomic import atomic_path
from glioma_lib.core.metrics import dice, region_dice
from glioma_lib.core.naming import MODALITIES, REGIONS
from glioma_lib.inputs.cache import build_entry
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.weak_labels.teacher import TEACHER_FORMAT, predict_labels

EXTERNAL_REFERENCE = "scans outside the cohort, against their own masks"


def subject_row(patient: str, paths: dict[str, Path | None]) -> pd.Series:
    """A manifest-like row for a subject outside any manifest, its mask withheld (what the
    preprocessing cache reads)."""
    return pd.Series({"patient_id": patient, **{f"path_{m}": str(paths[m]) for m in MODALITIES},
                      "path_seg": None, "has_seg_gt": False})  # fmt: skip


def subject_labels(model: ESPNet3D, spec: PreprocessSpec, patient: str, paths: dict[str, Path | None],
                   cache_dir: Path) -> tuple[np.ndarray, nib.Nifti1Image]:
    """The teacher's internal labels (0-3) of one subject, in the grid of its T1, and that T1."""
    reference = load_volume(paths["t1"], patient)
    entry, _ = build_entry(subject_row(patient, paths), TEACHER_FORMAT, spec, cache_dir)
    return predict_labels(model, [entry], [reference])[0], reference


def mask_volume_ml(labels: np.ndarray, image: nib.Nifti1Image) -> float:
    """Whole-tumour volume (ml) of a label array in ``image``'s grid."""
    return float((labels > 0).sum()) * float(np.prod(image.header.get_zooms()[:3])) / 1000


def score_on_subjects(model: ESPNet3D, spec: PreprocessSpec, folder: str | Path, out_dir: Path, cache_dir: Path,
                      exclude: set[str] = frozenset(), progress: bool = True) -> pd.DataFrame:
    """Dice (WT, TC, ET) and whole-tumour volumes of the teacher on every subject under ``folder``
    that ships a mask, except those in ``exclude`` (the cohort's own: scored elsewhere or trained
    on). The teacher's masks are written to ``out_dir`` (BraTS 2018 labels) for figures.

    Example:
        >>> table = score_on_subjects(teacher, spec, "../shared/realdata/brats_mr", out, cache)  # doctest: +SKIP
        >>> table[["patient_id", "dice_WT"]]
    """
    rows = []
    subjects = {p: f for p, f in find_brats_subjects(folder).items() if p not in exclude}
    for patient, subject in tqdm(sorted(subjects.items()), desc="teacher on outside scans", disable=not progress):
        paths = subject_paths(patient, subject)
        if paths["seg"] is None:
            continue
        validate_subject(patient, paths)
        labels, reference = subject_labels(model, spec, patient, paths, cache_dir)
        truth = read_mask(paths["seg"], patient)
        with atomic_path(out_dir / f"{patient}_teacher.nii.gz") as tmp:
            nib.save(nib.Nifti1Image(to_brats2018_labels(labels), reference.affine, reference.header), tmp)
        rows.append({"patient_id": patient, "reference": EXTERNAL_REFERENCE,
                     **region_dice(labels, truth),
                     "dice_all_background_WT": dice(np.zeros_like(truth), truth, REGIONS["WT"]),
                     "teacher_WT_ml": mask_volume_ml(labels, reference), "mask_WT_ml": mask_volume_ml(truth, reference),
                     "mask_path": str(paths["seg"])})  # fmt: skip
    return pd.DataFrame(rows)
