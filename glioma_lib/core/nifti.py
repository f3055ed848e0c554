"""NIfTI volumes and masks: reading them with the patient named in every error, and the label
conventions (BraTS 2018's 4 for enhancing tumour, the internal 3) on read and write."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import (
    BRATS2018_ENHANCING,
    INTERNAL_ENHANCING,
)

NIFTI_SUFFIXES = (".nii.gz", ".nii")


def load_volume(path: str | Path, patient: str) -> nib.Nifti1Image:
    """Load a NIfTI volume fully (so truncation is caught now), with the patient in any error.

    A 4-D file with trailing singleton axes (X, Y, Z, 1), as many converters write, is squeezed
    to 3-D; any other 4-D file is refused.
    """
    try:
        image = nib.funcs.squeeze_image(nib.load(str(path)))
        np.asanyarray(image.dataobj)
    except Exception as exc:  # nibabel raises several types for corrupt files
        raise InputDataError(f"unreadable NIfTI ({type(exc).__name__}: {exc})", patient, path) from exc
    if image.ndim != 3:
        raise InputDataError(f"expected a 3D volume, got shape {image.shape}", patient, path)
    return image


def detect_label_convention(labels: np.ndarray, patient: str, path: str | Path) -> str:
    """'brats2018' (enhancing = 4) or 'brats2021' (enhancing = 3); an error for anything else."""
    values = set(np.unique(labels).astype(int).tolist())
    if not values <= {0, 1, 2, 3, 4} or {3, 4} <= values:
        raise InputDataError(f"mask labels {sorted(values)} outside the BraTS conventions", patient, path)
    return "brats2021" if 3 in values else "brats2018"


def to_internal_labels(labels: np.ndarray, convention: str) -> np.ndarray:
    """BraTS labels to the internal 0/1/2/3 convention."""
    out = np.asarray(labels).astype(np.uint8)
    if convention == "brats2018":
        out = np.where(out == BRATS2018_ENHANCING, INTERNAL_ENHANCING, out).astype(np.uint8)
    return out


def to_brats2018_labels(labels: np.ndarray) -> np.ndarray:
    """Internal labels back to BraTS 2018 (enhancing tumour 4) for writing."""
    out = np.asarray(labels).astype(np.uint8)
    return np.where(out == INTERNAL_ENHANCING, BRATS2018_ENHANCING, out).astype(np.uint8)


def read_mask(path: str | Path, patient: str) -> np.ndarray:
    """A BraTS mask in internal labels (either convention accepted)."""
    labels = np.asarray(load_volume(path, patient).dataobj)
    if not np.allclose(labels, np.round(labels)):
        raise InputDataError("mask has non-integer labels", patient, path)
    return to_internal_labels(labels, detect_label_convention(labels, patient, path))
