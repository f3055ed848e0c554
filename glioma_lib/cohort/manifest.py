"""The cohort manifest: one row per patient, built the same way from the phantom and real sources.

Columns are documented in ``data_manifest/README.md``. A manifest is written only when every
structural check passes; value faults are kept in the curation report beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from glioma_lib.cohort import brats, segments, tables, tcga
from glioma_lib.cohort.sources import CohortSources
from glioma_lib.core.atomic import write_tables
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import CohortFolder
from glioma_lib.core.naming import MODALITIES, SPLITS

MANIFEST_COLUMNS = [
    "patient_id", "brats_id", "tcga_id", "has_mr", "has_seg_gt", "has_scna",
    "idh_mutant", "codeleted", "subtype", "grade", "age", "os_days", "os_event", "split",
    *[f"path_{m}" for m in MODALITIES], "path_seg", "mr_naming",
]  # fmt: skip


def load_scna(sources: CohortSources, issues: list | None = None) -> pd.DataFrame | None:
    """Patients x features SCNA: gene level when available (the paper's input), else arm level (an
    arm table, or segments summarised to arms with the cytoband table). Which sample stood for a
    patient with several is appended to ``issues``."""
    if sources.scna_genes is not None:
        return tcga.read_xena_gistic(sources.scna_genes, issues)
    if sources.scna_arms is not None:
        return tcga.read_arm_table(sources.scna_arms, issues)
    if sources.scna_segments is not None:
        if sources.cytobands is None:
            raise InputDataError("segment-level SCNA needs a cytoband table of its genome build (hg19 or hg38, "
                                 "e.g. UCSC cytoBand.txt) to summarise segments to chromosome arms",
                                 path=sources.scna_segments)  # fmt: skip
        arms = segments.segment_file_to_arms(sources.scna_segments, sources.cytobands, issues)
        return tcga.one_sample_per_patient(arms, sources.scna_segments, issues)
    return None


def _mr_rows(sources: CohortSources, require_all_mapped: bool, accept_unusual_geometry: bool,
             issues: list) -> pd.DataFrame:
    """One row per BraTS subject: listed in the mapping, found on disk, or both."""
    mapping = (brats.read_name_mapping(sources.name_mapping) if sources.name_mapping
               else pd.DataFrame(columns=["brats_id", "tcga_id"]))  # fmt: skip
    folders = brats.find_brats_subjects(sources.brats_root) if sources.brats_root else {}
    rows = {r["brats_id"]: {"brats_id": r["brats_id"], "tcga_id": r["tcga_id"]}
            for r in mapping.to_dict("records")}
    for subject in folders:  # a folder named by TCGA barcode links to its patient without a mapping
        if subject not in rows:
            rows[subject] = {"brats_id": subject, "tcga_id": brats.tcga_patient_of_subject(subject)}
            if rows[subject]["tcga_id"] is None:
                issues.append(tables.CurationIssue(subject, "tcga_id", subject, "not in the name mapping and not "
                                                    "named by a TCGA barcode: kept as an unlabelled scan",
                                                    str(folders[subject])))  # fmt: skip
    if sources.brats_root is not None:
        for subject in rows:
            if subject in folders:
                continue
            expected = Path(sources.brats_root) / subject
            if require_all_mapped:
                raise InputDataError("the name mapping lists a subject whose folder is missing", subject, expected)
            issues.append(tables.CurationIssue(subject, "mr", str(expected), "folder not found",
                                                str(sources.name_mapping)))
    reference = None  # (subject, orientation) of the first subject: every other must match it
    for subject, row in sorted(rows.items()):
        row["has_mr"] = subject in folders
        if subject in folders:
            paths = brats.subject_paths(subject, folders[subject])
            check = brats.validate_subject(subject, paths, sources.spacing_mm, accept_unusual_geometry)
            issues += check.accepted
            reference = reference or (subject, check.orientation)
            fault = brats.orientation_fault(subject, check.orientation, reference)
            if fault and not accept_unusual_geometry:
                raise InputDataError(f"{fault}; {brats.BRATS_PREPROCESSING}", subject, paths["t1"])
            if fault:
                issues.append(tables.CurationIssue(subject, "mr_geometry", fault,
                                                    "accepted (accept_unusual_geometry)", str(paths["t1"])))
            row["mr_naming"] = brats.subject_naming(subject, folders[subject])  # the layout, per folder
            row.update({f"path_{k}": None if v is None else str(v.resolve()) for k, v in paths.items()})
    table = pd.DataFrame(list(rows.values()))
    return table if len(table) else pd.DataFrame(columns=["brats_id", "tcga_id", "has_mr"])  # an MR-less cohort


SPLIT_NEEDS = {"mr": "has_mr", "scna": "has_scna"}  # what a train/validation patient may be required to have


def _assign_splits(manifest: pd.DataFrame, validation_fraction: float, seed: int, requires: tuple[str, ...],
                   issues: list) -> pd.Series:
    """train / validation, stratified by subtype, among the labelled patients that have every input in
    ``requires`` (MR for MR runs); the others by what they have: ``unlabelled_mr`` (MR, used for
    segmentation), ``scna_only``, or ``clinical_only``. A labelled patient with MR left out for lack of
    a required input gets a curation line."""
    labelled = manifest["idh_mutant"].notna() | manifest["codeleted"].notna()
    eligible = labelled.copy()
    for need in requires:
        eligible &= manifest[SPLIT_NEEDS[need]]
    split = pd.Series(np.select([manifest["has_mr"], manifest["has_scna"]], ["unlabelled_mr", "scna_only"],
                                "clinical_only"), index=manifest.index)  # fmt: skip
    for row in manifest[labelled & ~eligible & manifest["has_mr"]].itertuples():
        missing = [need for need in requires if not getattr(row, SPLIT_NEEDS[need])]
        issues.append(tables.CurationIssue(row.patient_id, "split", "unlabelled_mr",
                                            f"labelled but without {', '.join(missing)}, which the split requires: "
                                            "its MR is used for segmentation only", "split_requires"))  # fmt: skip
    rng = np.random.default_rng(seed)
    strata = manifest.loc[eligible, "subtype"].fillna("unknown")
    for _, members in strata.groupby(strata):
        ids = members.index.to_numpy()
        rng.shuffle(ids)
        n_val = int(round(validation_fraction * len(ids)))
        split[ids[:n_val]] = "validation"
        split[ids[n_val:]] = "train"
    return split


def build_manifest(
    sources: CohortSources,
    validation_fraction: float = 0.25,
    seed: int = 0,
    require_all_mapped: bool = True,
    accept_unusual_geometry: bool = False,
    split_requires: tuple[str, ...] = ("mr",),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The manifest and the curation report of one cohort; raises InputDataError on structural faults.

    Args:
        sources: where the tables and scans are.
        validation_fraction: share of the eligible labelled patients drawn into validation.
        seed: seeds the stratified split.
        require_all_mapped: stop when a subject of the name mapping has no folder (else report it).
        accept_unusual_geometry: list scans that do not look BraTS-preprocessed (not skull-stripped,
            voxels not ``sources.spacing_mm``, another orientation than the cohort's first subject) in
            the curation report instead of stopping.
        split_requires: inputs a patient needs to enter train or validation (``mr``, ``scna``).
    """
    issues: list[tables.CurationIssue] = []
    clinical, clinical_issues = tcga.read_ceccarelli(sources.clinical)
    issues += clinical_issues
    mr = _mr_rows(sources, require_all_mapped, accept_unusual_geometry, issues)
    scna = load_scna(sources, issues)
    scna_patients = set() if scna is None else set(scna.index)

    duplicated = mr["tcga_id"].dropna()[mr["tcga_id"].dropna().duplicated()]
    if len(duplicated):
        raise InputDataError("two BraTS subjects map to the same TCGA patient", duplicated.iloc[0],
                             sources.name_mapping)
    mr_tcga = set(mr["tcga_id"].dropna())
    scna_only = sorted((scna_patients & set(clinical["tcga_id"])) - mr_tcga)
    rows = pd.concat([mr, pd.DataFrame({"brats_id": None, "tcga_id": scna_only, "has_mr": False})],
                     ignore_index=True)  # fmt: skip
    manifest = rows.merge(clinical, on="tcga_id", how="left")
    manifest["has_scna"] = manifest["tcga_id"].isin(scna_patients)
    manifest["has_mr"] = manifest["has_mr"].astype("boolean").fillna(False).astype(bool)
    for column in ["path_" + m for m in (*MODALITIES, "seg")] + ["mr_naming"]:
        if column not in manifest:
            manifest[column] = None
    manifest["has_seg_gt"] = manifest["path_seg"].notna()
    manifest["patient_id"] = manifest["tcga_id"].fillna(manifest["brats_id"])
    manifest["split"] = _assign_splits(manifest, validation_fraction, seed, tuple(split_requires), issues)
    manifest = manifest[MANIFEST_COLUMNS].sort_values("patient_id", kind="stable").reset_index(drop=True)
    text = ["patient_id", "brats_id", "tcga_id", "subtype", "split", "mr_naming",
            *[c for c in MANIFEST_COLUMNS if c.startswith("path_")]]
    manifest = manifest.astype({c: "string" for c in text} | {"grade": "Int64", "os_event": "Int64"})
    report = pd.DataFrame([vars(i) for i in issues], columns=tables.CURATION_COLUMNS)
    report["value"] = report["value"].astype(str)
    check_manifest(manifest)
    return manifest, report


def check_manifest(manifest: pd.DataFrame, path: str | Path | None = None) -> None:
    """Invariants every manifest satisfies; a violation (e.g. a hand-edited split ``Train``, or a
    subject whose folder and files carry the same barcode twice) stops with the patient named."""
    missing = [c for c in ("patient_id", "split", "has_mr", "has_seg_gt", "has_scna") if c not in manifest]
    if missing:
        raise InputDataError(f"manifest lacks the columns {missing}; found {list(manifest.columns)}", path=path)
    duplicated = manifest.loc[manifest["patient_id"].duplicated(), "patient_id"]
    if len(duplicated):
        raise InputDataError("patient id appears more than once in the manifest (one row per patient: merge or "
                             "rename its samples)", str(duplicated.iloc[0]), path)  # fmt: skip
    checks = [
        (~manifest["split"].isin(SPLITS), f"split must be one of {list(SPLITS)}"),
        (manifest["has_mr"] & manifest[["path_" + m for m in MODALITIES]].isna().any(axis=1),
         "has_mr is true but a modality path is missing"),
        (manifest["has_seg_gt"] & ~manifest["has_mr"], "has a ground-truth mask but no MR"),
        ((manifest["split"] == "scna_only") & (~manifest["has_scna"] | manifest["has_mr"]),
         "split scna_only needs SCNA and no MR"),
        ((manifest["split"] == "unlabelled_mr") & ~manifest["has_mr"], "split unlabelled_mr without MR"),
        ((manifest["split"] == "clinical_only") & (manifest["has_mr"] | manifest["has_scna"]),
         "split clinical_only with MR or SCNA"),
    ]  # fmt: skip
    for bad, message in checks:
        if bad.any():
            row = manifest[bad].iloc[0]
            raise InputDataError(f"{message} (split {row['split']!r}; {int(bad.sum())} rows like this)",
                                 str(row["patient_id"]), path)  # fmt: skip


def write_manifest(manifest: pd.DataFrame, report: pd.DataFrame, cohort: CohortFolder) -> Path:
    """The manifest (parquet and csv) and the curation report in a cohort folder, atomically and
    together (a failure half-way, e.g. a full disk, publishes none of them)."""
    write_tables({cohort.curation_report: report, cohort.manifest_csv: manifest, cohort.manifest: manifest})
    return cohort.manifest


def read_manifest(path: str | Path) -> pd.DataFrame:
    """A manifest written by :func:`write_manifest` (parquet keeps the nullable dtypes), checked, so a
    hand-edited one with an unknown split or a duplicate patient stops here, naming the row."""
    if not Path(path).exists():
        raise FileNotFoundError(path)
    try:
        manifest = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's errors for a truncated or damaged file
        raise InputDataError(f"the manifest cannot be read ({type(exc).__name__}): it is damaged or truncated. The "
                             "cohort step (notebook 01) writes it: re-run that step (delete its executed notebook "
                             "in the run's notebooks/ folder, then `glioma run`), or `glioma cohort build` again",
                             path=path) from exc  # fmt: skip
    check_manifest(manifest, path)
    return manifest
