"""Run names are built and parsed in one place; the run folder's paths come from RunLayout."""

from __future__ import annotations

import pytest

from glioma_lib.cohort.summary import hanley_mcneil_se, validation_power
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.naming import parse_run_name, run_name


@pytest.mark.parametrize("args", [("idh", "t1ce", "mtl", True, None), ("codel", "t1ce_minus_t1", "cnn", False, 20),
                                  ("idh", "all_whole", "mtl", True, 80), ("codel", "flair", "mtl", False, None)])
def test_run_names_round_trip(args):
    name = run_name(*args)
    assert parse_run_name(name) == dict(zip(["task", "input_format", "model", "use_scna", "labelled_limit"], args,
                                            strict=True))


@pytest.mark.parametrize("name", ["idh-t1ce", "idh-t1ce-rnn", "idh-t1ce-mtl-extra", "survival-t1ce-mtl"])
def test_names_that_are_not_runs_are_refused(name):
    with pytest.raises(ValueError):
        parse_run_name(name)


def test_finished_runs_are_those_with_their_marker(tmp_path):
    layout = RunLayout(tmp_path)
    assert layout.finished_runs() == []
    for name, done in [("idh-t1ce-mtl", True), ("idh-t1ce-cnn", False)]:
        layout.run(name).folder.mkdir(parents=True)
        if done:
            layout.run(name).auc.write_text("{}")
    assert layout.finished_runs() == ["idh-t1ce-mtl"]
    assert layout.train("idh", "t1ce", "cnn", False, 40) == layout.run("idh-t1ce-cnn-n40")


def test_hanley_mcneil_standard_error():
    # Hanley & McNeil (1982), Table 3 neighbourhood: AUC 0.75 with 50 + 50 patients gives SE about 0.049.
    assert hanley_mcneil_se(0.75, 50, 50) == pytest.approx(0.0492, abs=0.001)
    assert hanley_mcneil_se(0.75, 0, 10) == float("inf")


def test_validation_power_counts_each_task(phantom_manifest):
    table = validation_power(phantom_manifest)
    validation = phantom_manifest[phantom_manifest["split"] == "validation"]
    assert table.loc["IDH", "labelled validation patients"] == validation["idh_mutant"].notna().sum()
    assert table.loc["1p/19q", "co-deleted"] == validation["codeleted"].fillna(False).astype(bool).sum()
