"""The WHO 2021 three-class task: the two-binary call, the paired comparison with a three-class
model, per-class AUCs and confusion matrices."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from glioma_lib.core.layout import RunLayout
from glioma_lib.core.metrics import holm
from glioma_lib.results.tables import claims, collect_aucs, model_comparisons, table_i
from glioma_lib.results.three_class import (
    binary_call,
    confusion_matrices,
    per_class_aucs,
    three_class_predictions,
    three_class_vs_binary,
)
from tests.results.conftest import _write_run

SUBTYPE = np.repeat([0, 1, 2], [40, 25, 15])  # wildtype, intact, co-deleted


def _write_three_class_run(layout: RunLayout, name: str, probabilities: np.ndarray) -> None:
    """A finished three-class run as the trainer leaves it (one trial)."""
    run = layout.run(name)
    run.folder.mkdir(parents=True)
    patients = [f"p{i}" for i in range(len(SUBTYPE))]
    table = pd.DataFrame({"patient_id": patients, "label": SUBTYPE, "trial": 0, "evaluation": 0,
                          **{f"probability_{c}": probabilities[:, c] for c in range(3)}})  # fmt: skip
    table.to_parquet(run.validation_predictions)
    run.auc.write_text(json.dumps({
        "paper_max_over_evaluations": {"mean": 0.8, "per_trial": [0.8]},
        "honest": {"auc": 0.7, "ci95": [0.6, 0.8], "per_trial": [0.7], "n_validation": len(SUBTYPE),
                   "n_positive": int((SUBTYPE > 0).sum()), "probability_sd": 0.2},
        "optimism_per_trial": [0.1], "n_train_labelled": 80, "n_selection": 20, "updates": 10}))  # fmt: skip


def _probabilities(strength: float, seed: int) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(size=(len(SUBTYPE), 3)) + strength * np.eye(3)[SUBTYPE]
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


@pytest.fixture
def layout(tmp_path):
    """Binary IDH and 1p/19q MTL and CNN runs on t1ce (the same patients, binary labels derived
    from the subtype), and three-class MTL and CNN runs: the MTL one informative, the CNN one noise."""
    layout = RunLayout(tmp_path)
    rng = np.random.default_rng(0)
    idh, codel = (SUBTYPE > 0).astype(int), (SUBTYPE == 2).astype(int)
    for model in ("mtl", "cnn"):
        _write_run(layout, f"idh-t1ce-{model}", idh, idh + rng.normal(0, 1.2, len(SUBTYPE)))
        _write_run(layout, f"codel-t1ce-{model}", codel, codel + rng.normal(0, 1.2, len(SUBTYPE)))
    for name in ("idh-t1ce-mtl", "idh-t1ce-cnn", "codel-t1ce-mtl", "codel-t1ce-cnn"):  # probabilities in [0, 1]
        path = layout.run(name).validation_predictions
        table = pd.read_parquet(path)
        table.assign(probability=1 / (1 + np.exp(-3 * (table["probability"] - 0.5)))).to_parquet(path)
    _write_three_class_run(layout, "who2021-t1ce-mtl", _probabilities(2.0, 1))
    _write_three_class_run(layout, "who2021-t1ce-cnn", _probabilities(0.0, 2))
    return layout


def test_the_binary_call_is_a_distribution_over_the_three_subtypes():
    idh = pd.DataFrame({"probability": np.linspace(0, 1, 7)}, index=list("abcdefg"))
    codel = pd.DataFrame({"probability": np.linspace(1, 0, 6)}, index=list("abcdef"))
    call = binary_call(idh, codel)
    assert list(call.index) == list("abcdef") and np.allclose(call.sum(axis=1), 1) and (call >= 0).all().all()
    assert call.loc["a", "probability_0"] == 1 and call.loc["f", "probability_1"] == pytest.approx(5 / 6)


def test_each_three_class_model_is_paired_with_its_two_binary_models_and_holm_adjusted(layout):
    aucs = collect_aucs(layout, layout.finished_runs())
    table = three_class_vs_binary(layout, aucs, n_boot=200).set_index("model_a")
    assert set(table.index) == {"who2021-t1ce-mtl", "who2021-t1ce-cnn"}
    assert table.loc["who2021-t1ce-mtl", "model_b"] == "idh-t1ce-mtl + codel-t1ce-mtl"
    assert (table["n"] == len(SUBTYPE)).all()
    np.testing.assert_allclose(table["p_holm"], holm(table["p_value"].to_numpy()))
    assert table.loc["who2021-t1ce-mtl", "difference"] > 0 > table.loc["who2021-t1ce-cnn", "difference"]
    verdicts = claims(table.reset_index(), pd.DataFrame(columns=["model_b"])).set_index("claim")["verdict"]
    assert verdicts.filter(like="three-class").iloc[0] == "inconclusive"  # significant both ways


def test_per_class_aucs_and_confusion_matrices(layout):
    aucs = collect_aucs(layout, layout.finished_runs())
    predictions = three_class_predictions(layout, aucs)
    per_class = per_class_aucs(predictions, n_boot=100).set_index(["model", "class"])
    assert len(per_class) == 4 * 3  # two three-class models and their two binary calls, three classes each
    strong = per_class.loc["who2021-t1ce-mtl"]
    assert (strong["auc"] > 0.8).all() and (strong["ci_low"] < strong["auc"]).all()
    assert strong["n"].tolist() == [40, 25, 15]
    confusion = confusion_matrices(predictions)
    assert (confusion.groupby("model")["patients"].sum() == len(SUBTYPE)).all()
    mtl = confusion[confusion["model"] == "who2021-t1ce-mtl"]
    assert mtl.loc[mtl["true"] == mtl["called"], "patients"].sum() > 0.8 * len(SUBTYPE)
    assert "AUC: MTL - CNN, WHO 2021, t1ce" in set(model_comparisons(layout, aucs, n_boot=50)["comparison"])
    assert "WHO 2021 MTL AUC [95% CI]" in table_i(aucs, None).columns
    assert len(confusion_matrices({})) == 0 and len(per_class_aucs({})) == 0
    assert set(aucs["task"]) == {"idh", "codel", "who2021"}


def test_the_confusion_figure_has_one_panel_per_model_with_counts(layout):
    import matplotlib

    matplotlib.use("Agg")
    from glioma_lib.results.figures import confusion_figure

    confusion = confusion_matrices(three_class_predictions(layout, collect_aucs(layout, layout.finished_runs())))
    figure = confusion_figure(confusion)
    assert len(figure.axes) == 4 and figure.axes[0].get_ylabel() == "true subtype"  # two rows of two
    first = confusion[confusion["model"] == confusion["model"].iloc[0]]
    written = sum(int(text.get_text().split("\n")[0]) for text in figure.axes[0].texts)
    assert written == first["patients"].sum() == len(SUBTYPE)
