"""``glioma tune``: variants of one run on a development cohort, never on the book's own."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from glioma_lib.config.load import ConfigError, load_config
from glioma_lib.config.schema import AnalysisConfig
from glioma_lib.core.layout import RunLayout
from glioma_lib.pipeline.tuning import COLUMNS, TUNED, tune, tuning_table, variant_settings


def _base():
    return AnalysisConfig.model_validate(load_config("development")).training.for_run("idh-t1ce-mtl")


def test_variants_change_one_setting_at_a_time_and_bad_names_are_refused():
    base = _base()
    variants = variant_settings(base, TUNED)
    assert list(variants) == ["base", "pooled_levels=1", "head_lr_factor=1.0", "unlabelled_per_batch=0",
                              "evaluate_from=0.0"]  # the book's values are the base: not trained twice
    for name, settings in variants.items():
        changed = {k for k, v in settings.model_dump().items() if base.model_dump()[k] != v}
        assert changed == (set() if name == "base" else {name.split("=")[0]})
    with pytest.raises(ConfigError, match="did you mean 'head_lr_factor'"):
        variant_settings(base, {"head_lr_facter": [1]})
    with pytest.raises(ConfigError, match="evaluate_from=2"):
        variant_settings(base, {"evaluate_from": [2]})


def test_the_books_own_cohort_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ConfigError, match="the book's own cohort"):
        tune("default")
    smoke_like = load_config("smoke") | {"run_dir": str(tmp_path / "run")}  # smoke: the book's seeds too
    path = tmp_path / "same_seeds.yaml"
    path.write_text(yaml.safe_dump(smoke_like))
    with pytest.raises(ConfigError, match="phantom seed 0, split seed 0"):
        tune(str(path))
    assert not (tmp_path / "run").exists()


def _auc(folder, auc: float, spread: float) -> None:
    folder.mkdir(parents=True)
    folder.joinpath("auc.json").write_text(json.dumps({"honest": {
        "auc": auc, "ci95": [auc - 0.1, auc + 0.1], "probability_sd": spread, "per_trial": [auc, auc - 0.02],
        "n_validation": 80}}))  # fmt: skip


def test_the_chosen_value_has_the_best_honest_auc_among_variants_that_spread(tmp_path):
    layout = RunLayout(tmp_path)
    base = _base()
    _auc(layout.tuning_run("base").folder, 0.70, 0.10)
    _auc(layout.tuning_run("pooled_levels=1").folder, 0.75, 0.005)  # collapsed: its AUC does not count
    _auc(layout.tuning_run("head_lr_factor=1.0").folder, 0.72, 0.08)
    table = tuning_table(layout, base, {"pooled_levels": [3, 1], "head_lr_factor": [3.0, 1.0]})
    assert list(table.columns) == COLUMNS and len(table) == 4
    chosen = table[table["chosen"]].set_index("setting")["value"].to_dict()
    assert chosen == {"pooled_levels": 3, "head_lr_factor": 1.0}
    assert table.loc[table["value"].eq(1) & table["setting"].eq("pooled_levels"), "eligible"].item() is False
    assert table["is_base"].sum() == 2 and (table.loc[table["is_base"], "honest_auc"] == 0.70).all()


@pytest.mark.slow
def test_tune_runs_the_development_workflow_then_each_variant_and_writes_its_table(tmp_path):
    """A tiny development cohort (smoke sizes, other seeds): the command's own output."""
    config = load_config("smoke")
    config["run_dir"] = str(tmp_path / "run")
    config["cohort"].update(phantom_seed=1, split_seed=1)
    config["training"]["grid"]["models"] = ["mtl"]
    path = tmp_path / "development.yaml"
    path.write_text(yaml.safe_dump(config))
    table = tune(str(path), "idh-t1ce-mtl", {"pooled_levels": [3, 1]}, cores=2, show_progress=False)
    written = pd.read_csv(RunLayout(tmp_path / "run").tuning_table)
    assert list(written.columns) == COLUMNS and len(written) == len(table) == 2
    assert written["chosen"].sum() <= 1 and written["honest_auc"].between(0, 1).all()
    assert (tmp_path / "run" / "notebooks" / "02_weak_labelling.ipynb").exists()  # the teacher, by the workflow
    assert not (tmp_path / "run" / "train").exists()  # the book's runs are not trained
