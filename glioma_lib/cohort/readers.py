"""Readers for real inputs: BraTS folders and tables, Ceccarelli 2016 S1A, Xena GISTIC2, arm tables.

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

from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import (
    BRATS2018_ENHANCING,
    DAYS_PER_MONTH,
    INTERNAL_ENHANCING,
    MODALITIES,
    subtype_from_markers,
)

NIFTI_SUFFIXES = (".nii.gz", ".nii")
MAX_SURVIVAL_MONTHS = 600  # 50 years: anything longer is an entry error (e.g. days typed as months)
CURATION_COLUMNS = ["patient", "field", "value", "reason", "source"]


@dataclass(frozen=True)
class CurationIssue:
    """A value that was set missing, and why."""

    patient: str
    field: str
    value: object
    reason: str
    source: str


# ---------------------------------------------------------------- tables

DELIMITERS = ",\t;"
EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls (OLE2)


def table_delimiter(path: str | Path) -> str:
    """The delimiter of a text table, read from its content (not its extension)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        sample = handle.read(65536)
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        raise InputDataError("the table is empty", path=path)
    counts = {d: min(line.count(d) for line in lines) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def read_table(path: str | Path, **kwargs) -> pd.DataFrame:
    """A CSV, TSV, semicolon-separated or Excel table, told apart by content. A table that parses to
    no usable columns stops with the file named."""
    path = Path(path)
    try:
        head = path.read_bytes()[:8]
    except OSError as exc:
        raise InputDataError(f"cannot read the table ({exc.strerror})", path=path) from exc
    if head.startswith(EXCEL_MAGIC):
        try:
            table = pd.read_excel(path, **{k: v for k, v in kwargs.items() if k != "keep_default_na"})
        except ImportError as exc:
            raise InputDataError("an Excel table needs openpyxl (pip install openpyxl), or save it as CSV",
                                 path=path) from exc  # fmt: skip
        except Exception as exc:  # a damaged workbook: zipfile, xlrd and openpyxl raise several types
            raise InputDataError(f"cannot read the Excel table ({type(exc).__name__}: {exc})", path=path) from exc
    else:
        table = pd.read_csv(path, sep=table_delimiter(path), **kwargs)
    if table.shape[1] == 0:
        raise InputDataError(f"the table parsed to {len(table)} rows and no usable columns", path=path)
    return table


def require_columns(table: pd.DataFrame, required: list[str], path: str | Path, what: str) -> None:
    """Stop when ``table`` lacks a column, naming the file, the missing and the columns found."""
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputDataError(f"{what} lacks the columns {missing}; found {list(table.columns)[:12]}", path=path)


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


# ---------------------------------------------------------------- TCGA clinical

_IDH = {"Mutant": True, "WT": False}
_CODEL = {"codel": True, "non-codel": False}
_GRADE = {"G2": 2, "G3": 3, "G4": 4}


def _categorical(table: pd.DataFrame, column: str, mapping: dict, field: str, path, issues) -> list:
    values = []
    for case, raw in zip(table["Case"], table[column], strict=True):
        if pd.isna(raw) or str(raw).strip() == "":
            values.append(None)
        elif str(raw).strip() in mapping:
            values.append(mapping[str(raw).strip()])
        else:
            issues.append(CurationIssue(case, field, raw, f"unknown {column} value", str(path)))
            values.append(None)
    return values


def read_ceccarelli(path: str | Path) -> tuple[pd.DataFrame, list[CurationIssue]]:
    """Ceccarelli 2016 Table S1A (or the phantom's copy of its columns) in the manifest's terms."""
    table = read_table(path)
    needed = ["Case", "Grade", "Age (years at diagnosis)", "Survival (months)",
              "Vital status (1=dead)", "IDH status", "1p/19q codeletion"]  # fmt: skip
    require_columns(table, needed, path, "the clinical table")
    # pandas renames a second "Grade" to "Grade.1": the first would be read and the second ignored
    repeated = [re.sub(r"\.\d+$", "", str(c)) for c in table.columns if re.fullmatch(r".+\.\d+", str(c))]
    repeated = [c for c in repeated if c in needed]
    if repeated:
        raise InputDataError(f"the clinical table has the column {repeated[0]!r} twice; keep one", path=path)
    issues: list[CurationIssue] = []
    header_rows = table["Case"].astype(str).str.strip() == "Case"
    for row in table.index[header_rows]:
        issues.append(CurationIssue(f"row {row + 2}", "row", "Case", "a repeated header line, dropped", str(path)))
    table = table[~header_rows].reset_index(drop=True)
    duplicated = table["Case"][table["Case"].duplicated()]
    if len(duplicated):
        raise InputDataError("duplicate patient in the clinical table", duplicated.iloc[0], path)
    idh = _categorical(table, "IDH status", _IDH, "idh", path, issues)
    codel = _categorical(table, "1p/19q codeletion", _CODEL, "codel", path, issues)
    grade = _categorical(table, "Grade", _GRADE, "grade", path, issues)
    months = pd.to_numeric(table["Survival (months)"], errors="coerce")
    event = pd.to_numeric(table["Vital status (1=dead)"], errors="coerce")
    age = pd.to_numeric(table["Age (years at diagnosis)"], errors="coerce")
    for case, raw, value in zip(table["Case"], table["Survival (months)"], months, strict=True):
        if pd.notna(raw) and pd.isna(value):
            issues.append(CurationIssue(case, "os_days", raw, "non-numeric survival", str(path)))
        elif pd.notna(value) and value <= 0:
            issues.append(CurationIssue(case, "os_days", value, "survival <= 0 months", str(path)))
        elif pd.notna(value) and value > MAX_SURVIVAL_MONTHS:
            issues.append(CurationIssue(case, "os_days", value, f"survival > {MAX_SURVIVAL_MONTHS} months", str(path)))
    for case, raw, value in zip(table["Case"], table["Vital status (1=dead)"], event, strict=True):
        if pd.notna(raw) and pd.isna(value):
            issues.append(CurationIssue(case, "os_event", raw, "non-numeric vital status; survival unused",
                                        str(path)))  # fmt: skip
        elif pd.notna(value) and value not in (0, 1):
            issues.append(CurationIssue(case, "os_event", value, "vital status not 0/1", str(path)))
    for case, raw, value in zip(table["Case"], table["Age (years at diagnosis)"], age, strict=True):
        if pd.notna(raw) and pd.isna(value):
            issues.append(CurationIssue(case, "age", raw, "non-numeric age", str(path)))
        elif pd.notna(value) and not 0 < value < 120:
            issues.append(CurationIssue(case, "age", value, "age outside 0-120", str(path)))
    valid_os = months.gt(0) & months.le(MAX_SURVIVAL_MONTHS) & event.isin([0, 1])
    out = pd.DataFrame({
        "tcga_id": table["Case"].astype(str),
        "grade": pd.array(grade, dtype="Int64"),
        "age": age.where(age.between(0, 120, inclusive="neither")),
        "os_days": (months * DAYS_PER_MONTH).where(valid_os),
        "os_event": event.where(valid_os).astype("Int64"),
        "idh_mutant": pd.array(idh, dtype="boolean"),
        "codeleted": pd.array(codel, dtype="boolean"),
    })  # fmt: skip
    out["subtype"] = [
        subtype_from_markers(None if pd.isna(i) else bool(i), None if pd.isna(c) else bool(c))
        for i, c in zip(out["idh_mutant"], out["codeleted"], strict=True)
    ]
    return out, issues


# ---------------------------------------------------------------- SCNA


def _numeric_matrix(table: pd.DataFrame, path, sample_axis: str) -> pd.DataFrame:
    """Check every cell is numeric; name the first bad sample and file otherwise."""
    numeric = table.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & table.notna()
    if bad.to_numpy().any():
        rows, cols = np.nonzero(bad.to_numpy())
        sample = table.columns[cols[0]] if sample_axis == "columns" else table.index[rows[0]]
        raw = table.iat[rows[0], cols[0]]
        raise InputDataError(f"non-numeric SCNA cell {raw!r}", str(sample), path)
    return numeric


def patient_of_barcode(barcode: str) -> str:
    """TCGA sample barcode (TCGA-XX-XXXX-01) to patient (TCGA-XX-XXXX)."""
    return "-".join(str(barcode).split("-")[:3])


def _unique_samples(table: pd.DataFrame, path: str | Path, what: str) -> None:
    if table.index.duplicated().any():
        raise InputDataError(f"the same sample appears twice in the {what}",
                             str(table.index[table.index.duplicated()][0]), path)  # fmt: skip


def read_xena_gistic(path: str | Path, issues: list[CurationIssue] | None = None) -> pd.DataFrame:
    """Xena gene-level GISTIC2 (genes x samples, thresholded or continuous) as patients x genes, one
    sample per patient (:func:`one_sample_per_patient`; the choices appended to ``issues``)."""
    table = read_table(path, index_col=0, dtype=str)
    table = _numeric_matrix(table, path, sample_axis="columns").T
    _unique_samples(table, path, "gene-level table")
    table.columns = [str(c).split("|")[0] for c in table.columns]
    return one_sample_per_patient(table, path, issues)


def read_arm_table_by_sample(path: str | Path) -> pd.DataFrame:
    """A samples x chromosome-arms SCNA table (values -1..1), comma- or tab-separated, every row as it
    stands; a non-numeric cell stops the read, naming the sample and the file."""
    table = read_table(path, index_col=0, dtype=str)
    table.index = table.index.astype(str).str.strip()
    return _numeric_matrix(table, path, sample_axis="index")


def read_arm_table(path: str | Path, issues: list[CurationIssue] | None = None) -> pd.DataFrame:
    """A patients x chromosome-arms SCNA table (values -1..1), comma- or tab-separated, one sample per
    patient (:func:`one_sample_per_patient`; the choices appended to ``issues``)."""
    table = read_arm_table_by_sample(path)
    _unique_samples(table, path, "arm-level table")
    return one_sample_per_patient(table, path, issues)


FIRST_NORMAL_SAMPLE_TYPE = 10  # TCGA sample types: 01-09 tumour, 10-19 normal, 20-29 control


def sample_type(barcode: str) -> int:
    """The TCGA sample type of a barcode (01 primary tumour, 02 recurrence, ...); 1 for a patient barcode."""
    parts = str(barcode).split("-")
    return int(parts[3][:2]) if len(parts) > 3 and parts[3][:2].isdigit() else 1


def one_sample_per_patient(table: pd.DataFrame, path: str | Path = "", issues: list | None = None) -> pd.DataFrame:
    """Rows indexed by sample barcode -> one row per patient: the primary tumour (01) when there is
    one, else the lowest tumour sample type (then the first listed); normal and control samples
    (types 10 and above) never stand for a tumour. Indexed by ``tcga_id``. Each sample left out is
    appended to ``issues`` as a curation line saying why."""
    patients = [patient_of_barcode(s) for s in table.index]
    types = [sample_type(s) for s in table.index]
    candidates = pd.DataFrame({"patient": patients, "type": types, "position": range(len(table))})
    tumours = candidates[candidates["type"] < FIRST_NORMAL_SAMPLE_TYPE]
    kept = tumours.sort_values(["type", "position"]).drop_duplicates("patient").sort_values("position")
    kept = kept["position"].to_numpy()
    if issues is not None:
        kept_sample = {patients[i]: table.index[i] for i in kept}
        for position in sorted(set(range(len(table))) - set(kept)):
            patient, sample = patients[position], str(table.index[position])
            normal = types[position] >= FIRST_NORMAL_SAMPLE_TYPE
            reason = ("left out: a normal or control sample, not the tumour" if normal
                      else f"left out: one sample per patient, kept {kept_sample[patient]} (primary tumour first)")
            issues.append(CurationIssue(patient, "scna_sample", sample, reason, str(path)))
    chosen = table.iloc[kept]
    chosen.index = pd.Index([patients[i] for i in kept], name="tcga_id")
    return chosen


def read_gene_to_arm(path: str | Path) -> pd.Series:
    """Gene symbol (without the ``|chrN`` suffix) to chromosome arm."""
    table = read_table(path, dtype=str)
    require_columns(table, ["Gene Symbol", "chr_arm"], path, "the gene-to-arm table")
    symbols = table["Gene Symbol"].str.split("|").str[0]
    return pd.Series(table["chr_arm"].to_numpy(), index=symbols, name="chr_arm")


def genes_to_arms(genes: pd.DataFrame, gene_to_arm: pd.Series) -> pd.DataFrame:
    """Signed mean of thresholded calls clipped to -1..1 over each arm (the real arm table's recipe)."""
    arm = gene_to_arm.reindex(genes.columns)
    known = arm.notna().to_numpy()
    clipped = genes.loc[:, known].clip(-1, 1)
    return clipped.T.groupby(arm[known].to_numpy()).mean().T


def read_scna_clinical_786(path: str | Path) -> pd.DataFrame:
    """The clinical file beside the real arm-level table, with WHO subtypes mapped to 2016 names."""
    table = read_table(path, index_col=0)
    require_columns(table, ["WHO_2021_Subtype", "OS", "OS_EVENT", "WHO_2021_Grade"], path,
                    "the 786-patient clinical file")  # fmt: skip
    names = {"IDH-Wildtype Glioblastoma": "IDH-wildtype", "IDH-Mutant Astrocytoma": "IDH-mutant 1p/19q-intact",
             "Oligodendroglioma": "1p/19q-codeleted"}  # fmt: skip
    unknown = sorted(set(table["WHO_2021_Subtype"].dropna()) - set(names))
    if unknown:
        first = table.index[table["WHO_2021_Subtype"].isin(unknown)][0]
        raise InputDataError(f"unknown WHO 2021 subtype names {unknown}; known: {sorted(names)}", str(first), path)
    out = pd.DataFrame({"subtype": table["WHO_2021_Subtype"].map(names), "os_days": table["OS"],
                        "os_event": table["OS_EVENT"], "grade": table["WHO_2021_Grade"]},
                       index=table.index)
    out.index.name = "tcga_id"
    return out
