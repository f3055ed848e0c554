"""An external SCNA cohort as its settings describe it: arm-level copy number, WHO subtypes and
survival, aligned to the reference's arms, with every rule applied reported.

Each cohort's settings name its files and spell its labels (``labels``: every spelling the label
column holds, mapped to a WHO subtype or to null for "no label"); an unknown spelling stops the
run naming the cohort, the sample and the file. The rules, each a line of the cohort's report:
a duplicate sample keeps its first row; a second sample of one patient (``patient_column``) is
left out; a sample without a clinical row or without a label stays in the map but not in the
label metrics; a clinical row without copy number is left out; an arm the reference has and the
cohort lacks is filled with 0 (no call, as an arm no segment touches), and more than a quarter
missing stops the run; an arm only the cohort has is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from glioma_lib.cohort.segments import segment_file_to_arms
from glioma_lib.cohort.tables import CurationIssue, read_table, require_columns
from glioma_lib.cohort.tcga import read_arm_table_by_sample
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import DAYS_PER_MONTH, SUBTYPES

MAX_MISSING_ARMS = 0.25  # of the reference's arms: beyond this the cohort is refused
REPORT_COLUMNS = ["cohort", "sample", "rule", "detail"]


@dataclass
class ExternalCohort:
    """One cohort ready to score: ``arms`` (samples x the reference's arms), ``subtype`` (a WHO
    subtype or missing, per sample) and ``survival`` (os_days, os_event; None when it has none)."""

    key: str
    name: str
    platform: str
    arms: pd.DataFrame
    subtype: pd.Series
    survival: pd.DataFrame | None
    report: list[dict] = field(default_factory=list)

    def note(self, sample: str, rule: str, detail: str) -> None:
        self.report.append({"cohort": self.name, "sample": sample, "rule": rule, "detail": detail})


def _identity(sample: str) -> str:
    return sample


def read_copy_number(settings: dict, cohort: str) -> tuple[pd.DataFrame, list[CurationIssue]]:
    """Samples x arms from the cohort's arm table, or from its segment file and cytobands (called
    relative to each sample's ploidy); duplicate sample rows kept as they are (the caller rules)."""
    issues: list[CurationIssue] = []
    if settings.get("arm_table"):
        return read_arm_table_by_sample(settings["arm_table"]), issues
    if not settings.get("segments") or not settings.get("cytobands"):
        raise InputDataError(f"external cohort {cohort!r} needs an arm table, or a segment file with the cytoband "
                             "table of its genome build")  # fmt: skip
    arms = segment_file_to_arms(settings["segments"], settings["cytobands"], issues, tcga=False, patient_of=_identity)
    return arms, issues


def align_arms(arms: pd.DataFrame, reference: list[str], cohort: ExternalCohort, path: str) -> pd.DataFrame:
    """``arms`` with exactly the reference's columns in its order, by arm name (``chr1p`` = ``1p``)."""
    arms = arms.rename(columns=lambda c: str(c).strip().removeprefix("chr"))
    missing = [a for a in reference if a not in arms.columns]
    extra = [a for a in arms.columns if a not in reference]
    if len(missing) > MAX_MISSING_ARMS * len(reference):
        raise InputDataError(f"external cohort {cohort.name!r} lacks {len(missing)} of the reference's "
                             f"{len(reference)} arms ({missing[:8]}...): too many to fill", path=path)  # fmt: skip
    if missing:
        cohort.note("all samples", "arm missing, filled with 0 (no call)", ", ".join(missing))
    if extra:
        cohort.note("all samples", "arm not in the reference, dropped", ", ".join(map(str, extra)))
    return arms.reindex(columns=reference, fill_value=0.0)


def _subtypes(raw: pd.Series, labels: dict[str, str | None], cohort: ExternalCohort, path: str) -> pd.Series:
    unknown = sorted({str(v) for v in raw.dropna()} - set(labels))
    if unknown:
        sample = raw.index[raw.astype(str).isin(unknown)][0]
        raise InputDataError(f"external cohort {cohort.name!r}: label {unknown[0]!r} is not in its label mapping "
                             f"{sorted(labels)}; map every spelling explicitly (to a WHO subtype, or null)",
                             str(sample), path)  # fmt: skip
    bad = sorted({v for v in labels.values() if v is not None} - set(SUBTYPES))
    if bad:
        raise InputDataError(f"external cohort {cohort.name!r}: its label mapping names {bad}, not WHO subtypes "
                             f"{list(SUBTYPES)}")  # fmt: skip
    return raw.map(lambda v: None if pd.isna(v) else labels[str(v)])


def _survival(clinical: pd.DataFrame, columns: dict, cohort: ExternalCohort, path: str) -> pd.DataFrame:
    require_columns(clinical, [columns["time"], columns["event"]], path, f"the clinical table of {cohort.name}")
    time = pd.to_numeric(clinical[columns["time"]], errors="coerce")
    event = pd.to_numeric(clinical[columns["event"]], errors="coerce")
    days = time * (DAYS_PER_MONTH if columns["unit"] == "months" else 1.0)
    valid = days.gt(0) & event.isin([0, 1])
    for sample in clinical.index[~valid]:
        cohort.note(str(sample), "no usable survival, left out of survival",
                    f"{columns['time']}={clinical.at[sample, columns['time']]}, "
                    f"{columns['event']}={clinical.at[sample, columns['event']]}")  # fmt: skip
    return pd.DataFrame({"os_days": days.where(valid), "os_event": event.where(valid)}, index=clinical.index)


def _clinical_table(settings: dict, cohort: ExternalCohort) -> pd.DataFrame:
    """The clinical table indexed by sample, a repeated sample's first row kept (and reported)."""
    path = settings["clinical"]
    clinical = read_table(path, dtype=str)
    id_column = settings.get("sample_column") or clinical.columns[0]
    columns = [id_column, settings["label_column"], *([settings["patient_column"]] if settings.get("patient_column")
                                                       else [])]  # fmt: skip
    require_columns(clinical, columns, path, f"the clinical table of {cohort.name}")
    clinical = clinical.set_index(id_column)
    clinical.index = clinical.index.astype(str).str.strip()
    repeated = clinical.index.duplicated()
    for sample in clinical.index[repeated]:
        cohort.note(sample, "duplicate clinical row, first kept", path)
    return clinical[~repeated]


def _first_sample_per_patient(arms: pd.DataFrame, clinical: pd.DataFrame, column: str,
                              cohort: ExternalCohort) -> pd.DataFrame:
    """``arms`` without each patient's second and later samples (reported)."""
    with_scna = clinical[clinical.index.isin(arms.index)]
    second = with_scna[column].duplicated()
    for sample in with_scna.index[second]:
        cohort.note(sample, "second sample of a patient, left out",
                    f"patient {with_scna.at[sample, column]}; its first listed sample kept")  # fmt: skip
    return arms.drop(index=with_scna.index[second])


def read_external_cohort(key: str, settings: dict, reference: list[str]) -> ExternalCohort:
    """Read one configured cohort (see the module docstring for the rules it applies).

    Args:
        key: the cohort's key in the settings (``glass``).
        settings: its entry of ``external.cohorts``.
        reference: the arm names, in order, of the table the models were fitted on.

    Example:
        >>> glass = config["external"]["cohorts"]["glass"]
        >>> cohort = read_external_cohort("glass", glass, tcga.columns)  # doctest: +SKIP
        >>> cohort.subtype.value_counts()
    """
    source, clinical_path = str(settings.get("arm_table") or settings.get("segments")), settings["clinical"]
    cohort = ExternalCohort(key, settings["name"], settings["platform"], pd.DataFrame(), pd.Series(dtype=object), None)
    arms, issues = read_copy_number(settings, settings["name"])
    for issue in issues:
        cohort.note(issue.patient, issue.field, issue.reason)
    duplicated = arms.index.duplicated()
    for sample in arms.index[duplicated]:
        cohort.note(str(sample), "duplicate copy-number row, first kept", source)
    arms = align_arms(arms[~duplicated], list(reference), cohort, source)
    clinical = _clinical_table(settings, cohort)
    for sample in clinical.index.difference(arms.index):
        cohort.note(sample, "clinical row without copy number, left out", clinical_path)
    if settings.get("patient_column"):
        arms = _first_sample_per_patient(arms, clinical, settings["patient_column"], cohort)
    has_row = arms.index.isin(clinical.index)
    for sample in arms.index[~has_row]:
        cohort.note(str(sample), "copy number without a clinical row: mapped, no label", clinical_path)
    clinical = clinical.reindex(arms.index)
    raw = clinical[settings["label_column"]]
    subtype = _subtypes(raw, settings["labels"], cohort, clinical_path)
    for sample in subtype.index[subtype.isna().to_numpy() & has_row]:
        rule = "label mapped to none: no label" if pd.notna(raw[sample]) else "no label in the clinical table"
        cohort.note(str(sample), rule, f"{settings['label_column']}={raw[sample]}")
    cohort.arms, cohort.subtype = arms, subtype.rename("subtype")
    if settings.get("survival"):
        cohort.survival = _survival(clinical[has_row], settings["survival"], cohort, clinical_path)
    return cohort


def report_table(cohorts: list[ExternalCohort]) -> pd.DataFrame:
    """Every rule applied to every cohort, one row each."""
    return pd.DataFrame([row for cohort in cohorts for row in cohort.report], columns=REPORT_COLUMNS)


def labelled(cohort: ExternalCohort) -> tuple[pd.DataFrame, pd.Series]:
    """The cohort's samples with a subtype: their arms and subtypes."""
    known = cohort.subtype.notna().to_numpy()
    return cohort.arms[known], cohort.subtype[known]


def class_counts(subtype: pd.Series) -> dict[str, int]:
    """Patients per WHO subtype (zeros included)."""
    return {name: int(np.sum(subtype == name)) for name in SUBTYPES}
