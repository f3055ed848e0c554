"""The teacher on scans outside the cohort: a new patient's labels (``glioma predict``) and the
teacher's Dice on a folder of subjects that ship their masks (in the default book: the one real
BraTS case, a check of a teacher trained on synthetic scans against real anatomy).

A subject's own mask is never shown to the teacher: its labels come from the four modalities alone,
in the subject's own grid, and the mask is only scored against.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import pandas as pd
from tqdm import tqdm

from glioma_lib.cohort.brats import find_brats_subjects, subject_paths, validate_subject
from glioma_lib.core.atomic import atomic_path
from glioma_lib.core.figures import mask_overlay, tumour_slice
from glioma_lib.core.layout import external_teacher_mask
from glioma_lib.core.naming import MODALITIES
from glioma_lib.core.nifti import load_volume, read_mask, to_brats2018_labels
from glioma_lib.inputs.cache import build_entry
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.weak_labels.teacher import TEACHER_FORMAT, predict_labels, quality_row

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
        with atomic_path(external_teacher_mask(out_dir, patient)) as tmp:
            nib.save(nib.Nifti1Image(to_brats2018_labels(labels), reference.affine, reference.header), tmp)
        rows.append({**quality_row(patient, EXTERNAL_REFERENCE, labels, truth),
                     "teacher_WT_ml": mask_volume_ml(labels, reference), "mask_WT_ml": mask_volume_ml(truth, reference),
                     "flair_path": str(paths["flair"]), "mask_path": str(paths["seg"])})  # fmt: skip
    return pd.DataFrame(rows)


def external_figure(table: pd.DataFrame, masks_dir: Path) -> plt.Figure:
    """One panel per scored subject of :func:`score_on_subjects`: the teacher's four-class mask over
    FLAIR at the slice with most tumour in the subject's own mask, that mask outlined in cyan."""
    fig, axes = plt.subplots(1, len(table), figsize=(4.5 * len(table), 4.5), squeeze=False)
    for ax, row in zip(axes[0], table.itertuples(), strict=True):
        given = read_mask(row.mask_path, row.patient_id)
        teacher = read_mask(external_teacher_mask(masks_dir, row.patient_id), row.patient_id)
        flair = np.asarray(load_volume(row.flair_path, row.patient_id).dataobj, dtype=np.float32)
        mask_overlay(ax, flair, teacher, tumour_slice(given), {"cyan": given})
        ax.set_title(f"{row.patient_id}: WT Dice {row.dice_WT:.2f}", fontsize=9)
    fig.tight_layout()
    return fig
