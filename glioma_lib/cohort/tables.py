"""Tables from users: the delimiter sniffed (CSV, TSV, semicolons), spreadsheets refused by name,
required columns checked, and the curation issues that bad values become."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from glioma_lib.core.errors import InputDataError

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
