"""Table I's survival columns and Table II from the tidy C-index table, with reference columns."""

from __future__ import annotations

import pandas as pd

from glioma_lib.core import paper_values
from glioma_lib.core.display import number
from glioma_lib.core.naming import SUBTYPES


def format_cell(value: float, low: float, high: float, reason: str | None = None) -> str:
    """'0.712 [0.61, 0.80]', or 'undefined (reason)'."""
    if pd.isna(value):
        return f"undefined ({reason})" if reason else "undefined"
    return f"{number(value)} [{low:.2f}, {high:.2f}]"


def _cell(row: pd.Series) -> str:
    return format_cell(row["c_index"], row["ci_low"], row["ci_high"], row.get("undefined_because"))


def _reference(value: float | None) -> str:
    """The paper's value, or "-" where the paper reports none (e.g. the SCNA-only overall C-index)."""
    return "-" if value is None else f"{number(value)}"


def table_i_survival(c_index: pd.DataFrame) -> pd.DataFrame:
    """Per input format: overall C-index of MTL MR vs MTL MR+SCNA (IDH models), beside the paper's."""
    overall = c_index[(c_index["stratum"] == "overall") & c_index["input_format"].notna()]
    rows = []
    for input_format, part in overall.groupby("input_format", sort=False):
        row = {"input format": input_format}
        for use_scna, label in [(False, "MTL MR"), (True, "MTL MR+SCNA")]:
            match = part[part["use_scna"] == use_scna]
            row[f"{label} C-index [95% CI]"] = _cell(match.iloc[0]) if len(match) else "not run"
            key = f"idh-{input_format}-mtl" + ("-scna" if use_scna else "")
            row[f"{label} (paper)"] = _reference(paper_values.reference(paper_values.TABLE_I_C_INDEX, key))
        rows.append(row)
    return pd.DataFrame(rows)


def table_ii(c_index: pd.DataFrame) -> pd.DataFrame:
    """C-index overall and within each WHO subtype for every model, beside the paper's values."""
    rows = []
    for model, part in c_index.groupby("model", sort=False):
        strata = part.set_index("stratum")
        row = {"model": model}
        for stratum in ("overall", *SUBTYPES):
            if stratum in strata.index:
                record = strata.loc[stratum]
                row[stratum] = _cell(record)
                row[f"{stratum} (patients/events)"] = f"{int(record['patients'])}/{int(record['events'])}"
            row[f"{stratum} (paper)"] = _reference(paper_values.reference(paper_values.TABLE_II_C_INDEX,
                                                                           (model, stratum)))
        rows.append(row)
    return pd.DataFrame(rows)


def degenerate_resamples(c_index: pd.DataFrame) -> pd.DataFrame:
    """The strata whose bootstrap had resamples with an undefined C-index (left out of the CI), and
    how many: a CI resting on fewer resamples than asked for says so."""
    shown = c_index[c_index["degenerate_resamples"] > 0]
    return shown[["model", "stratum", "patients", "events", "degenerate_resamples"]].reset_index(drop=True)
