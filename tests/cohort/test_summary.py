"""The cohort summary: standard errors and the validation set's power."""

from __future__ import annotations

import pytest

from glioma_lib.cohort.summary import hanley_mcneil_se, validation_power


def test_hanley_mcneil_standard_error():
    # Hanley & McNeil (1982), Table 3 neighbourhood: AUC 0.75 with 50 + 50 patients gives SE about 0.049.
    assert hanley_mcneil_se(0.75, 50, 50) == pytest.approx(0.0492, abs=0.001)
    assert hanley_mcneil_se(0.75, 0, 10) == float("inf")


def test_validation_power_counts_each_task(phantom_manifest):
    table = validation_power(phantom_manifest)
    validation = phantom_manifest[phantom_manifest["split"] == "validation"]
    assert table.loc["IDH", "labelled validation patients"] == validation["idh_mutant"].notna().sum()
    assert table.loc["1p/19q", "co-deleted"] == validation["codeleted"].fillna(False).astype(bool).sum()
