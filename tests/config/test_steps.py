"""Each step's typed settings: built from the configuration, handed on unchanged by the workflow
and the notebooks, and completed from config/config.yaml when a user gives only some."""

from __future__ import annotations

import json

import pytest

from glioma_lib.config.load import BASE_CONFIG, base_config, load_config, validated
from glioma_lib.config.schema import AnalysisConfig, TrainingKnobs
from glioma_lib.config.steps import STEP_SETTINGS, notebook_settings, step_settings, workflow_plan
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import TRAINING_STEP, run_of_step
from glioma_lib.pipeline.notebook import find_notebook, load_text_notebook, notebook_parameters
from glioma_lib.training.config import TrainConfig

NOTEBOOK_PARAMETERS = {"run_dir", "settings"}  # every notebook's; the training notebook adds run and restart


@pytest.mark.parametrize("notebook", sorted(STEP_SETTINGS))
def test_every_notebook_takes_its_step_settings_and_nothing_else(notebook):
    """Both directions: a notebook declares no parameter the workflow does not pass, and the
    workflow passes nothing the notebook does not declare (its settings as one typed section)."""
    declared = set(notebook_parameters(load_text_notebook(find_notebook(notebook))))
    passed = {step: values for step, values in workflow_plan(load_config("default")).parameters.items()
              if (TRAINING_STEP if run_of_step(step) else step) == notebook}  # fmt: skip
    assert passed
    for values in passed.values():
        assert set(values) == declared
    extra = {"run", "restart"} if notebook == TRAINING_STEP else set()
    assert declared == NOTEBOOK_PARAMETERS | extra
    assert declared.isdisjoint(STEP_SETTINGS[notebook].model_fields)  # a setting is never a loose parameter


def _perturbed_training() -> dict:
    """The default book's configuration with every shared training setting changed."""
    config = base_config()
    training = config["training"]
    changed = {key: field.annotation for key, field in TrainingKnobs.model_fields.items()}
    for key, value in training.items():
        if key not in changed:
            continue
        if isinstance(value, bool):
            training[key] = not value
        elif isinstance(value, int | float) and key not in ("pooled_levels", "evaluate_from"):
            training[key] = value + 1
        elif isinstance(value, str):
            training[key] = {"group": "batch", "auto": "cpu", "centre": "error"}[value]
    training["pooled_levels"] = 2
    training["evaluate_from"] = 0.25
    training["selection_fraction"] = 0.3
    training["trial_group_memory_mb"] = 4096  # null in the book
    return validated(config, [(BASE_CONFIG, config)])


def test_every_training_setting_reaches_the_trainer_through_the_workflow_and_the_notebook():
    """config -> the workflow's parameters file (JSON) -> the notebook's settings -> TrainConfig:
    every shared setting, changed from the default, arrives changed; nothing is rebuilt by hand."""
    config = _perturbed_training()
    plan = workflow_plan(config)
    default = TrainConfig.of_book("idh-t1ce-mtl")
    for step, values in plan.parameters.items():
        run = run_of_step(step)
        if run is None:
            continue
        received = json.loads(json.dumps(values))  # what the parameters file holds
        trained = TrainConfig.of(notebook_settings(TRAINING_STEP, received["settings"], run=received["run"]))
        assert trained.name == run
        for key in TrainingKnobs.model_fields:
            assert getattr(trained, key) == config["training"][key] != getattr(default, key), key


@pytest.mark.parametrize("notebook", sorted(set(STEP_SETTINGS) - {TRAINING_STEP}))
def test_a_notebook_without_settings_gets_the_default_books(notebook):
    default = AnalysisConfig.model_validate(base_config())
    assert notebook_settings(notebook) == step_settings(default, notebook)


def test_settings_a_user_gives_replace_only_those_keys_and_are_checked():
    survival = notebook_settings("04_survival", {"penalizer": 0.5})
    assert survival.penalizer == 0.5 and survival.k == base_config()["survival"]["k"]
    assert survival.tcga_clinical.endswith("tcga_clinical/ceccarelli2016_table_s1a.csv")  # from cohort.realdata
    with pytest.raises(InputDataError, match="notebook 04_survival: penalizer: Input should be greater"):
        notebook_settings("04_survival", {"penalizer": -1})
    with pytest.raises(InputDataError, match="settings describe run 'codel-t1ce-mtl', not run 'idh-t1ce-mtl'"):
        notebook_settings(TRAINING_STEP, {"task": "codel"}, run="idh-t1ce-mtl")


def test_the_workflow_plan_names_the_runs_each_rule_needs():
    plan = workflow_plan(load_config("default"))
    assert plan.survival_runs == ["idh-t1ce-mtl", "idh-all_cropped-mtl", "idh-t1ce-mtl-scna"]
    assert plan.ring_run == "idh-t1ce-mtl" and plan.run_dir == "runs/default"
    assert workflow_plan(load_config("real")).ring_run is None  # no training runs


def test_the_snakefile_spells_no_setting():
    """Its settings come from the plan: a new setting needs no edit of the Snakefile."""
    from glioma_lib.config.load import PROJECT_ROOT

    snakefile = (PROJECT_ROOT / "workflow/Snakefile").read_text()
    assert 'CONFIG["' not in snakefile and "config[" not in snakefile


def test_trainings_and_the_teacher_declare_their_memory_from_the_cost_model():
    from glioma_lib.core.cost_model import job_memory_mb

    paper = workflow_plan(load_config("paper"))
    mtl_whole = paper.memory_mb["03_subtype_training-idh-all_whole-mtl"]
    assert mtl_whole == job_memory_mb("mtl", [144, 144, 144], 4) and 2 * mtl_whole > 24_000
    assert paper.memory_mb["03_subtype_training-idh-all_whole-cnn"] < mtl_whole
    assert paper.memory_mb["02_weak_labelling"] == job_memory_mb("teacher", [144, 144, 144], 2)
    default = workflow_plan(load_config("default"))
    assert set(default.memory_mb) == {"02_weak_labelling", *(f"03_subtype_training-{r}" for r in default.runs)}
    assert max(default.memory_mb.values()) < 2_000  # the default book's small shapes


def test_trainings_and_the_teacher_declare_a_runtime_sized_by_their_work():
    """Every job with a memory figure has a runtime; ten trials at 144^3 take longer than at 64^3;
    a larger cohort (more caching and scoring) takes longer; a real cohort is sized as the paper's."""
    paper = workflow_plan(load_config("paper"))
    assert set(paper.runtime_min) == set(paper.memory_mb)
    whole, cropped = (paper.runtime_min[f"03_subtype_training-idh-{f}-mtl"] for f in ("all_whole", "all_cropped"))
    assert whole > 3 * cropped
    config = load_config("paper")
    config["cohort"]["n_mr"] *= 2
    assert workflow_plan(config).runtime_min["03_subtype_training-idh-all_cropped-mtl"] > cropped
    real = workflow_plan(load_config("real"))
    assert real.runtime_min["02_weak_labelling"] > workflow_plan(load_config("smoke")).runtime_min["02_weak_labelling"]
