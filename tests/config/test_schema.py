"""The schema: its sections, the training runs it asks for, and one default per setting."""

from __future__ import annotations

import pytest

from glioma_lib.config.load import load_config
from glioma_lib.config.schema import RunSettings, TrainingKnobs, TrainingSettings


def test_the_training_runs_of_the_default_book():
    runs = TrainingSettings.model_validate(load_config("default")["training"]).runs()
    assert len(runs) == 12 + 1 + 2 + 3 + 3 and "idh-t1ce-mtl-scna" in runs and "idh-t1ce-radiomics-n20" in runs
    assert {"idh-t1ce-mean_teacher", "codel-t1ce-mean_teacher", "who2021-t1ce-mtl"} <= set(runs)
    assert not any("mean_teacher" in run for run in TrainingSettings.model_validate(
        load_config("paper")["training"]).runs())  # fmt: skip
    assert TrainingSettings.model_validate(load_config("real")["training"]).runs() == []


def test_an_external_cohort_names_exactly_one_copy_number_source():
    from pydantic import ValidationError

    from glioma_lib.config.schema import ExternalCohortSettings

    base = {"name": "X", "platform": "arrays", "clinical": "c.csv", "label_column": "subtype",
            "labels": {"wt": "IDH-wildtype", "odd": None}}  # fmt: skip
    assert ExternalCohortSettings.model_validate({**base, "arm_table": "a.csv"}).survival is None
    for wrong, message in [({}, "exactly one of arm_table and segments"),
                           ({"arm_table": "a.csv", "segments": "s.seg"}, "exactly one"),
                           ({"segments": "s.seg"}, "cytoband table"),
                           ({"arm_table": "a.csv", "labels": {"wt": "IDH-wt"}}, "IDH-wildtype")]:  # fmt: skip
        with pytest.raises(ValidationError, match=message):
            ExternalCohortSettings.model_validate({**base, **wrong})


def test_every_shared_training_setting_reaches_every_run():
    """A field of the shared knobs is a field of every run's settings, with the section's value."""
    training = TrainingSettings.model_validate(load_config("default")["training"])
    assert set(TrainingKnobs.model_fields) < set(RunSettings.model_fields)
    assert set(TrainingSettings.model_fields) - set(TrainingKnobs.model_fields) == {
        "grid", "label_efficiency", "mean_teacher", "crop_shape", "whole_shape"}  # the grid's, or one model's
    for name in training.runs():
        run = training.for_run(name)
        assert run.name == name
        assert all(getattr(run, key) == getattr(training, key) for key in TrainingKnobs.model_fields)
        assert run.mean_teacher == (training.mean_teacher if run.model == "mean_teacher" else None)
    assert training.for_run("idh-all_whole-mtl").shape == training.whole_shape
    assert training.for_run("idh-t1ce-mtl").shape == training.crop_shape
