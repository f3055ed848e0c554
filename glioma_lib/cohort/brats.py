"""BraTS inputs: subject folders in every naming (BraTS 2018-2021, 2023, BraTS Toolkit, TCGA
barcodes), checks that a scan looks BraTS-preprocessed, and the BraTS name-mapping and survival tables.

Structural faults raise :class:`~glioma_lib.core.errors.InputDataError` naming the patient and file.
Bad values inside valid tables become missing and are returned as curation issues instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from glioma_lib.cohort.tables import CurationIssue, read_table, require_columns
from glioma_lib.cohort.tcga import patient_of_barcode
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import (
    MODALITIES,
)
from glioma_lib.core.nifti import NIFTI_SUFFIXES, detect_label_convention, load_volume

# ---------------------------------------------------------------- BraTS images


# File names of a subject's images: BraTS 2018-2021 (`<subject>_t1ce.nii.gz`), BraTS 2023
# (`<subject>-t1c.nii.gz`) and the skull-stripped output of BraTS Toolkit / BrainLes preprocessing
# (`<subject>_t1c_bet.nii.gz`, `_fla_bet`); the subject is its folder's name (a BraTS ID or a TCGA barcode).
NAMINGS = {
    "BraTS 2018-2021": ("_", {"t1": "t1", "t1ce": "t1ce", "t2": "t2", "flair": "flair", "seg": "seg"}),
    "BraTS 2023": ("-", {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f", "seg": "seg"}),
    "BraTS Toolkit": ("_", {"t1": "t1_bet", "t1ce": "t1c_bet", "t2": "t2_bet", "flair": "fla_bet", "seg": "seg"}),
}  # fmt: skip
TCGA_BARCODE = re.compile(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}(-[0-9]{2}[A-Z]?)?$")


def image_stem(subject: str, image: str, naming: str = "BraTS 2018-2021") -> str:
    """File name, without suffix, of ``image`` (a modality or ``seg``) of ``subject``.

    Example:
        >>> image_stem("BraTS-GLI-00000-000", "t1ce", "BraTS 2023")
        'BraTS-GLI-00000-000-t1c'
    """
    separator, names = NAMINGS[naming]
    return f"{subject}{separator}{names[image]}"


def subject_naming(subject: str, folder: Path) -> str | None:
    """The naming whose T1 image is in ``folder``, or None."""
    for naming in NAMINGS:
        if any((folder / f"{image_stem(subject, 't1', naming)}{suffix}").is_file() for suffix in NIFTI_SUFFIXES):
            return naming
    return None


def find_brats_subjects(root: str | Path) -> dict[str, Path]:
    """Subject folders under a BraTS root (flat, or one level down as in HGG/LGG), or the root itself
    when it is one subject's folder, by subject ID."""
    root = Path(root)
    if not root.is_dir():
        raise InputDataError("BraTS folder not found", path=root)
    found: dict[str, Path] = {}
    candidates = [root, *sorted(p for p in [*root.glob("*"), *root.glob("*/*")] if p.is_dir())]  # root: one subject
    for folder in candidates:
        if subject_naming(folder.name, folder) is None:
            continue
        if folder.name in found:
            raise InputDataError("duplicate subject ID in the BraTS folder", folder.name, folder)
        found[folder.name] = folder
    for folder in sorted(p for p in root.glob("*") if p.is_dir() and p.name not in ("HGG", "LGG")):
        if folder.name not in found and (any(folder.glob("*.nii.gz")) or any(folder.glob("*.nii"))):
            found[folder.name] = folder  # has images but no T1: reported by subject_paths
    if not found:
        raise InputDataError("no BraTS subject in the folder: expected subject folders (or one subject's folder) "
                             "holding <subject>_t1.nii.gz ... (BraTS 2018-2021), <subject>-t1n.nii.gz ... "
                             "(BraTS 2023) or <subject>_t1_bet.nii.gz ... (BraTS Toolkit / BrainLes); for a cohort "
                             "without MR, give no BraTS folder", path=root)  # fmt: skip
    return found


def tcga_patient_of_subject(subject: str) -> str | None:
    """The TCGA patient a subject folder is named after (``TCGA-02-0001`` or a sample barcode), else None."""
    return patient_of_barcode(subject) if TCGA_BARCODE.match(subject) else None


def subject_paths(subject: str, folder: Path) -> dict[str, Path | None]:
    """Paths of the four modalities (all required) and the mask (optional) of one subject, in the
    naming its T1 is found under (BraTS 2018-2021 when none is)."""
    naming = subject_naming(subject, folder) or "BraTS 2018-2021"
    paths: dict[str, Path | None] = {}
    for modality in MODALITIES:
        path = _nifti(folder, image_stem(subject, modality, naming))
        if path is None:
            raise InputDataError(f"missing {modality} image (.nii.gz or .nii; {naming} names)", subject,
                                 folder / f"{image_stem(subject, modality, naming)}.nii.gz")  # fmt: skip
        paths[modality] = path
    paths["seg"] = _nifti(folder, image_stem(subject, "seg", naming))
    return paths


def _nifti(folder: Path, stem: str) -> Path | None:
    """``stem`` with a NIfTI suffix (.nii.gz or .nii) in ``folder``; both at once is ambiguous."""
    present = [folder / f"{stem}{suffix}" for suffix in NIFTI_SUFFIXES if (folder / f"{stem}{suffix}").is_file()]
    if len(present) > 1:
        raise InputDataError("both a .nii.gz and a .nii file; keep one", folder.name, present[1])
    return present[0] if present else None


BORDER = 2  # voxels of each face that must be background in a skull-stripped scan
MAX_BORDER_SIGNAL = 0.25  # non-zero border voxels tolerated: a brain may touch a tight field of view; noise fills it
SPACING_TOLERANCE = 0.1  # relative: BraTS resamples every scan to 1 mm isotropic voxels
BRATS_PREPROCESSING = ("run BraTS preprocessing (co-registration to SRI24, 1 mm resampling, skull stripping; e.g. "
                       "the BrainLes preprocessing tools) first, or set accept_unusual_geometry "
                       "(--accept-unusual-geometry) to use the scan knowingly (it is then listed in the curation "
                       "report)")  # fmt: skip


@dataclass(frozen=True)
class SubjectCheck:
    """What validating one subject found beyond structural faults (which raise)."""

    orientation: str  # nibabel axis codes of its images, e.g. "LPS"
    accepted: list[CurationIssue]  # preprocessing faults accepted knowingly


def preprocessing_faults(image: nib.Nifti1Image, expected_spacing: float | None) -> list[str]:
    """Ways a scan does not look BraTS-preprocessed: a non-zero background (not skull-stripped; BraTS
    preprocessing takes the non-zero voxels as the brain) or voxels far from ``expected_spacing`` mm."""
    data = np.asarray(image.dataobj)
    faces = [data[:BORDER], data[-BORDER:], data[:, :BORDER], data[:, -BORDER:], data[:, :, :BORDER],
             data[:, :, -BORDER:]]  # fmt: skip
    signal = float(np.mean(np.concatenate([np.ravel(f) for f in faces]) != 0))
    faults = []
    if signal > MAX_BORDER_SIGNAL:
        faults.append(f"not skull-stripped: {signal:.0%} of the voxels on the volume's border are non-zero "
                      "(BraTS-preprocessed scans have a zero background)")
    zooms = tuple(round(float(z), 3) for z in image.header.get_zooms()[:3])
    if expected_spacing is not None and any(abs(z - expected_spacing) > SPACING_TOLERANCE * expected_spacing
                                            for z in zooms):  # fmt: skip
        faults.append(f"voxel size {zooms} mm, not about {expected_spacing} mm")
    return faults


def orientation_fault(subject: str, orientation: str, reference: tuple[str, str]) -> str | None:
    """A subject whose axes are ordered or flipped differently from the cohort's reference subject
    (crops and flips work in voxel space, so they would not match between patients)."""
    if orientation == reference[1]:
        return None
    return (f"orientation {orientation} differs from {reference[1]} of {reference[0]}, the cohort's first subject; "
            "reorient it (e.g. nibabel.as_closest_canonical, or BraTS preprocessing)")


def validate_subject(subject: str, paths: dict[str, Path | None], expected_spacing: float | None = None,
                     accept_unusual_geometry: bool = False) -> SubjectCheck:
    """Check every file reads, holds finite values, that no modality is all zero, that modalities
    share shape and affine (co-registered) and that the mask's labels are valid; these faults raise.
    Then check that each scan looks BraTS-preprocessed (:func:`preprocessing_faults`): raises too,
    unless ``accept_unusual_geometry``, when the faults come back as curation lines.

    Example:
        >>> check = validate_subject("Brats18_X_1", subject_paths("Brats18_X_1", folder))  # doctest: +SKIP
        >>> check.orientation
        'LPS'
    """
    reference = None
    accepted = []
    for key, path in paths.items():
        if path is None:
            continue
        image = load_volume(path, subject)
        if reference is None:
            reference = (image.shape, image.affine, path)
        elif image.shape != reference[0]:
            raise InputDataError(f"shape {image.shape} differs from {reference[0]} of {reference[2].name}",
                                 subject, path)  # fmt: skip
        elif not np.allclose(image.affine, reference[1], atol=1e-3):
            raise InputDataError(f"affine differs from that of {reference[2].name}", subject, path)
        data = np.asanyarray(image.dataobj)
        if not np.isfinite(data).all():
            raise InputDataError(f"{int((~np.isfinite(data)).sum())} NaN or infinite voxels", subject, path)
        if key == "seg":
            detect_label_convention(data, subject, path)
            continue
        if not data.any():
            raise InputDataError(f"the {key} image is all zero (an empty export?)", subject, path)
        for fault in preprocessing_faults(image, expected_spacing):
            if not accept_unusual_geometry:
                raise InputDataError(f"{fault}; {BRATS_PREPROCESSING}", subject, path)
            accepted.append(CurationIssue(subject, "mr_geometry", fault, "accepted (accept_unusual_geometry)",
                                          str(path)))  # fmt: skip
    return SubjectCheck("".join(nib.aff2axcodes(reference[1])), accepted)


# ---------------------------------------------------------------- BraTS tables


def read_name_mapping(path: str | Path) -> pd.DataFrame:
    """BraTS ``name_mapping.csv``: brats_id (2018), tcga_id (or missing), grade_class (HGG/LGG)."""
    table = read_table(path, dtype=str, keep_default_na=False)
    require_columns(table, ["BraTS_2018_subject_ID", "TCGA_TCIA_subject_ID"], path, "the name mapping")
    table = table[~table["BraTS_2018_subject_ID"].str.strip().isin(["", "NA"])]  # BraTS 2019-only rows
    out = pd.DataFrame({
        "brats_id": table["BraTS_2018_subject_ID"].str.strip(),
        "tcga_id": table["TCGA_TCIA_subject_ID"].str.strip().replace({"NA": None, "": None}),
        "brats2019_id": table.get("BraTS_2019_subject_ID", pd.Series(dtype=str)),
        "grade_class": table.get("Grade", pd.Series(dtype=str)),
    })  # fmt: skip
    duplicated = out["brats_id"][out["brats_id"].duplicated()]
    if len(duplicated):
        raise InputDataError("duplicate BraTS ID in the name mapping", duplicated.iloc[0], path)
    return out.reset_index(drop=True)


_ALIVE = re.compile(r"^ALIVE \((\d+) days later\)$")


def parse_brats_survival(value: object) -> tuple[float, float]:
    """A BraTS survival cell to (days, event): '289' -> (289, 1); 'ALIVE (361 days later)' -> (361, 0)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return np.nan, np.nan
    text = str(value).strip()
    alive = _ALIVE.match(text)
    if alive:
        return float(alive.group(1)), 0.0
    try:
        return float(text), 1.0
    except ValueError:
        return np.nan, np.nan


def read_brats_survival(path: str | Path) -> tuple[pd.DataFrame, list[CurationIssue]]:
    """BraTS ``survival_data.csv``: brats2019_id, age, os_days, os_event, resection."""
    table = read_table(path, dtype=str, keep_default_na=False)
    require_columns(table, ["BraTS19ID", "Survival"], path, "the BraTS survival table")
    rows, issues = [], []
    for rec in table.to_dict("records"):
        days, event = parse_brats_survival(rec.get("Survival"))
        if rec.get("Survival", "").strip() and np.isnan(days):
            issues.append(CurationIssue(rec["BraTS19ID"], "os_days", rec["Survival"], "unparseable", str(path)))
        elif days <= 0:
            issues.append(CurationIssue(rec["BraTS19ID"], "os_days", days, "survival <= 0", str(path)))
            days, event = np.nan, np.nan
        rows.append({"brats2019_id": rec["BraTS19ID"], "age": pd.to_numeric(rec.get("Age"), errors="coerce"),
                     "os_days": days, "os_event": event, "resection": rec.get("ResectionStatus") or None})  # fmt: skip
    return pd.DataFrame(rows), issues
