"""The schema's sections agree with the notebooks whose parameters they set."""

from __future__ import annotations

import pytest

from glioma_lib.config.load import load_config
from glioma_lib.config.schema import NOTEBOOK_SECTIONS, TrainingSettings
from glioma_lib.pipeline.notebook import find_notebook, load_text_notebook, notebook_parameters


@pytest.mark.parametrize(("notebook", "section"), NOTEBOOK_SECTIONS.items())
def test_every_section_key_is_a_parameter_of_its_notebook(notebook, section):
    assert set(section.model_fields) <= set(notebook_parameters(load_text_notebook(find_notebook(notebook))))


def test_the_training_runs_of_the_default_book():
    runs = TrainingSettings.model_validate(load_config("default")["training"]).runs()
    assert len(runs) == 8 + 2 + 4 and "idh-t1ce-mtl-scna" in runs and "idh-t1ce-cnn-n20" in runs
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
