"""The external-validation step on the real TCGA table, GLASS and Capper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.layout import RunLayout
from glioma_lib.external.step import TCGA_CV, external_validation, findings, missing_inputs


@pytest.mark.slow
def test_models_fitted_on_tcga_are_scored_on_glass_and_capper(tmp_path, shipped_cohorts, tcga_tables):
    layout = RunLayout(tmp_path)
    arm_table, clinical = tcga_tables
    settings = notebook_settings("08_external_validation", {"cohorts": shipped_cohorts, "tcga_arm_table": arm_table,
                                                            "tcga_clinical": clinical, "bootstrap": 50})
    result = external_validation(layout, settings)
    table = result["classification"].set_index(["cohort", "task"])
    assert set(table.index.get_level_values("cohort")) == {TCGA_CV, "GLASS", "Capper"}
    assert table.loc[("GLASS", "codel"), "undefined_because"] == "one class only"  # GLASS has no co-deleted tumour
    assert table.loc[("Capper", "who"), "classes_present"] == 3 and table.loc[("GLASS", "who"), "classes_present"] == 2
    for cohort in ("GLASS", "Capper"):
        row = table.loc[(cohort, "idh")]
        assert 0.5 < row["auc"] < 1 and row["ci_low"] < row["auc"] < row["ci_high"] and row["n"] > 190
    c_index = result["c_index"]
    assert set(c_index["cohort"]) == {TCGA_CV, "GLASS"}  # Capper has no survival
    assert c_index[(c_index["cohort"] == "GLASS") & (c_index["stratum"] == "overall")]["patients"].item() == 184
    assert set(result["km"]) == {"TCGA", "GLASS"}
    umap = result["umap"]
    assert umap["cohort"].value_counts().to_dict() == {"TCGA": 786, "Capper": 489, "GLASS": 201}
    for name in ("classification", "calibration", "confusion", "c_index", "risk_groups", "umap", "report", "cohorts"):
        assert layout.external_table(name).exists()
    assert layout.external_record.exists()
    lines = findings(result["classification"], c_index)
    assert any(line.startswith("GLASS, 1p/19q") and "not estimable" in line for line in lines)
    assert any(line.startswith("GLASS, survival") for line in lines)


def test_findings_can_say_an_external_cohort_holds_or_fails_the_tcga_estimate():
    classification = pd.DataFrame([
        {"cohort": TCGA_CV, "task": "idh", "auc": 0.9, "ci_low": 0.85, "ci_high": 0.95, "brier": 0.1,
         "mean_predicted": 0.5, "observed_fraction": 0.5, "undefined_because": None},
        {"cohort": "A", "task": "idh", "auc": 0.88, "ci_low": 0.8, "ci_high": 0.93, "brier": 0.1,
         "mean_predicted": 0.5, "observed_fraction": 0.5, "undefined_because": None},
        {"cohort": "B", "task": "idh", "auc": 0.7, "ci_low": 0.6, "ci_high": 0.8, "brier": 0.2,
         "mean_predicted": 0.5, "observed_fraction": 0.4, "undefined_because": None}])  # fmt: skip
    c_index = pd.DataFrame([{"cohort": TCGA_CV, "stratum": "overall", "c_index": 0.7, "ci_low": 0.65, "ci_high": 0.75},
                            {"cohort": "A", "stratum": "overall", "c_index": np.nan, "ci_low": np.nan,
                             "ci_high": np.nan}])  # fmt: skip
    lines = findings(classification, c_index)
    assert "its CI holds the TCGA estimate" in lines[0] and "excludes the TCGA estimate" in lines[1]


def test_missing_inputs_say_why_the_step_is_skipped(tmp_path):
    def missing(arm_table, clinical):
        return missing_inputs(notebook_settings("08_external_validation", {
            "tcga_arm_table": arm_table, "tcga_clinical": clinical, "cohorts": {}}))

    assert "no TCGA" in missing(None, None)[0]
    assert missing(str(tmp_path / "absent.csv"), str(tmp_path)) == [
        f"{tmp_path / 'absent.csv'} not found", "no external cohort is configured (external.cohorts)"]
