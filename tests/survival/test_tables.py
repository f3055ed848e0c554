"""Table II: C-index cells with CIs, undefined strata with their reason, the paper's values beside."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glioma_lib.survival.tables import degenerate_resamples, format_cell, table_ii


def test_table_ii_reports_undefined_strata_with_reason(c_index_table):
    table = table_ii(c_index_table).set_index("model")
    assert table.loc["idh-t1ce-mtl", "1p/19q-codeleted"] == "undefined (no events)"
    assert table.loc["SCNA PCA (first 5 PCs)", "overall (patients/events)"] == "10/5"
    assert table.loc["SCNA PCA (first 5 PCs)", "1p/19q-codeleted (paper)"] == "0.929"
    assert table.loc["idh-t1ce-mtl-scna", "IDH-wildtype (paper)"] == "0.571"
    assert format_cell(np.nan, np.nan, np.nan) == "undefined"


def test_strata_with_degenerate_resamples_are_listed():
    c_index = pd.DataFrame({"model": ["a", "a"], "stratum": ["overall", "1p/19q-codeleted"], "patients": [90, 9],
                            "events": [40, 2], "degenerate_resamples": [0, 37]})  # fmt: skip
    assert degenerate_resamples(c_index).to_dict("records") == [
        {"model": "a", "stratum": "1p/19q-codeleted", "patients": 9, "events": 2, "degenerate_resamples": 37}]
