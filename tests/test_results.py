"""Tables I and II, the claims verdicts and the reproducibility page."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glioma_lib.results import claims, table_i
from glioma_lib.survival_tables import format_cell, table_ii
from glioma_lib.workflow import reproducibility_page


def _aucs():
    rows = []
    for fmt, (cnn, mtl) in {"t1ce": (0.60, 0.85), "all_cropped": (0.75, 0.72), "flair": (0.60, 0.70)}.items():
        for model, value in [("cnn", cnn), ("mtl", mtl)]:
            rows.append({"run": f"idh-{fmt}-{model}", "task": "idh", "input_format": fmt, "model": model,
                         "use_scna": False, "auc": value, "ci_low": value - 0.1, "ci_high": value + 0.1,
                         "paper_style_auc": value + 0.05, "n_validation": 20})  # fmt: skip
    return pd.DataFrame(rows)


def _c_index():
    rows = []
    for model, fmt, scna, value in [("idh-t1ce-mtl", "t1ce", False, 0.70), ("idh-t1ce-mtl-scna", "t1ce", True, 0.75),
                                    ("SCNA PCA (first 5 PCs)", None, True, 0.65)]:  # fmt: skip
        for stratum in ("overall", "IDH-wildtype", "IDH-mutant 1p/19q-intact", "1p/19q-codeleted"):
            undefined = stratum == "1p/19q-codeleted"
            rows.append({"stratum": stratum, "c_index": np.nan if undefined else value, "ci_low": value - 0.1,
                         "ci_high": value + 0.1, "patients": 10, "events": 0 if undefined else 5,
                         "undefined_because": "no events" if undefined else None, "model": model,
                         "input_format": fmt, "use_scna": scna})  # fmt: skip
    return pd.DataFrame(rows)


def test_claims_are_judged_on_honest_numbers_and_their_intervals():
    verdicts = claims(_aucs(), _c_index()).set_index("claim")["verdict"]
    # MTL higher in 2 of 3 formats, and on t1ce its interval clears the CNN's
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on IDH"] == "supported"
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on 1p/19q"] == "not tested"
    assert verdicts["Selecting the epoch on the validation set inflates AUCs (the original protocol)"] == "supported"
    # 0.75 [0.65, 0.85] against 0.65 [0.55, 0.75]: the right direction, inside overlapping intervals
    assert verdicts["MTL MR+SCNA embeddings predict survival better than SCNA PCs alone"] == "inconclusive"


def test_a_direction_inside_overlapping_intervals_is_inconclusive():
    aucs = _aucs()
    aucs = aucs[aucs["input_format"] != "t1ce"]  # flair: MTL higher, intervals overlap; all_cropped: CNN higher
    verdicts = claims(aucs, None).set_index("claim")["verdict"]
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on IDH"] == "not supported"  # 1 of 2
    aucs = aucs[aucs["input_format"] == "flair"]
    verdicts = claims(aucs, None).set_index("claim")["verdict"]
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on IDH"] == "inconclusive"


def test_table_i_has_cis_paper_style_and_reference_columns():
    table = table_i(_aucs(), _c_index()).set_index("input format")
    assert table.loc["t1ce", "IDH MTL AUC [95% CI]"] == "0.850 [0.75, 0.95]"
    assert table.loc["t1ce", "IDH MTL max-over-epochs AUC"] == "0.900"
    assert table.loc["t1ce", "IDH MTL (paper)"] == "0.884"  # quoted in the paper's Section IV
    assert table.loc["flair", "IDH MTL (paper)"] == "not transcribed"
    assert table.loc["t1ce", "MTL MR+SCNA C-index [95% CI]"] == "0.750 [0.65, 0.85]"


def test_table_ii_reports_undefined_strata_with_reason():
    table = table_ii(_c_index()).set_index("model")
    assert table.loc["idh-t1ce-mtl", "1p/19q-codeleted"] == "undefined (no events)"
    assert table.loc["SCNA PCA (first 5 PCs)", "overall (patients/events)"] == "10/5"
    assert format_cell(np.nan, np.nan, np.nan) == "undefined"


def test_reproducibility_page_lists_commit_config_versions_and_times():
    page = reproducibility_page({
        "created": "2026-01-01T00:00:00+00:00", "git": {"commit": "abc123", "dirty": True}, "profile": "smoke",
        "config": {"run_dir": "runs/smoke"}, "machine": {"platform": "Linux", "python": "3.11"},
        "packages": {"torch": "2.13.0"}, "notebooks": [{"notebook": "01_data_curation", "seconds": 3.5}],
        "workflow_wall_seconds": 42.0,
    })  # fmt: skip
    for text in ("abc123", "uncommitted", "run_dir: runs/smoke", "| torch | 2.13.0 |", "| 01_data_curation | 3.5 |"):
        assert text in page
