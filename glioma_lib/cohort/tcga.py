"""TCGA inputs: the Ceccarelli 2016 clinical table (S1A), Xena GISTIC2 gene calls, arm-level SCNA
tables and their clinical file, and the rule that picks one tumour sample per patient.

Structural faults raise :class:`~glioma_lib.core.errors.InputDataError` naming the patient and file.
Bad values inside valid tables become missing and are returned as curation issues instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from glioma_lib.cohort.tables import MAX_SURVIVAL_MONTHS, CurationIssue, read_table, require_columns
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import (
    DAYS_PER_MONTH,
    subtype_from_markers,
)

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
