"""One trial: it overfits a tiny planted cohort, resumes exactly, and learns from unlabelled scans."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.models.heads import SubtypeModel
from glioma_lib.models.losses import multitask_loss
from glioma_lib.training.data import RunData
from glioma_lib.training.trial import StaleCheckpoint, make_optimizer, run_trial, score_patients
from tests.training.conftest import planted_data as _data
from tests.training.conftest import planted_run as _run
from tests.training.conftest import small_config as _config


def test_overfits_a_tiny_cohort_and_eval_mode_predictions_spread(planted_entries, tmp_path):
    data = _data(planted_entries)
    run_trial(_run(data, _config(model="mtl", updates=60, lr=3e-4), tmp_path), 0)
    model = SubtypeModel("mtl", 1, 2)
    model.load_state_dict(torch.load(tmp_path / "checkpoints/trial0/last.pt", weights_only=True)["model"])
    scores = score_patients(model, data.train, torch.device("cpu"), False)
    assert roc_auc_score(scores["label"], scores["probability"]) > 0.95
    assert scores["probability"].std() > 0.1  # eval mode: not collapsed to a constant


@pytest.mark.parametrize("model", ["cnn", "mtl"])
def test_short_training_does_not_collapse_predictions(planted_entries, tmp_path, model):
    config = _config(model=model, updates=12, evaluations=2)
    history = run_trial(_run(_data(planted_entries), config, tmp_path), 0)
    assert (history["validation_probability_sd"] > 0.01).all()


def test_the_selected_checkpoint_says_what_it_expects(planted_entries, tmp_path):
    from glioma_lib.core.layout import TrainingRun

    run_trial(_run(_data(planted_entries), _config(model="mtl", updates=2, evaluations=1), tmp_path), 0)
    saved = torch.load(TrainingRun(tmp_path).checkpoint(0, "best"), weights_only=True)
    assert saved["metadata"] == {"kind": "mtl", "task": "idh", "input_format": "t1ce", "channels": ["t1ce"],
                                 "classes": ["IDH-wildtype", "IDH-mutant"], "scna_dim": 0, "norm": "group",
                                 "pooled_levels": 1}  # fmt: skip


def test_cnn_and_mtl_take_the_same_number_of_updates(planted_entries, tmp_path, monkeypatch):
    """The budget is in optimiser steps, whatever the number of patients each model iterates over."""
    import glioma_lib.training.trial as training

    steps = {"count": 0}
    original = training.training_step

    def counting_step(*args, **kwargs):
        steps["count"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "training_step", counting_step)
    unlabelled = planted_entries.assign(patient_id=planted_entries["patient_id"] + "u", label=-1)
    counts = {}
    runs = [("cnn", 0, planted_entries), ("mtl", 0, pd.concat([planted_entries, unlabelled])),
            ("mtl", 2, pd.concat([planted_entries, unlabelled]))]  # mixed batches, then labelled + 2 unlabelled
    for model, unlabelled_per_batch, entries in runs:
        steps["count"] = 0
        config = _config(model=model, updates=7, evaluations=2, unlabelled_per_batch=unlabelled_per_batch)
        history = run_trial(_run(_data(entries), config, tmp_path / f"{model}{unlabelled_per_batch}"), 0)
        counts[model, unlabelled_per_batch] = steps["count"]
        assert history["updates"].tolist() == [4, 7]
    assert counts == {("cnn", 0): 7, ("mtl", 0): 7, ("mtl", 2): 7}


def test_classification_branch_learns_at_its_own_rate():
    model = SubtypeModel("mtl", 1, 2, scna_dim=5)
    optimizer = make_optimizer(model, _config(lr=1e-4, head_lr_factor=3))
    body, head = optimizer.param_groups
    assert body["lr"] == pytest.approx(1e-4) and head["lr"] == pytest.approx(3e-4)
    head_names = {n for n, p in model.named_parameters() if any(p is q for q in head["params"])}
    assert head_names and all(n.startswith(("scna.", "hidden.", "classifier.")) for n in head_names)
    assert len(body["params"]) + len(head["params"]) == len(list(model.parameters()))
    assert _config(model="cnn", unlabelled_per_batch=4).unlabelled_in_batch == 0


def test_resume_gives_the_same_metrics(planted_entries, tmp_path):
    data = _data(planted_entries)
    straight = run_trial(_run(data, _config(), tmp_path / "a"), 0)
    partial = tmp_path / "c"
    run_trial(_run(data, _config(updates=4, evaluations=2), partial), 0)  # same first 4 updates...
    with pytest.raises(StaleCheckpoint, match="evaluations: 2 -> 3.*updates: 4 -> 6"):
        run_trial(_run(data, _config(), partial), 0)  # ...but another schedule: refused
    _kill_after(data, tmp_path / "d", evaluations_done=2)
    resumed = run_trial(_run(data, _config(), tmp_path / "d"), 0)
    columns = ["trial", "evaluation", "updates", "loss", "selection_auc", "validation_auc"]
    pd.testing.assert_frame_equal(straight[columns], resumed[columns])
    a = torch.load(tmp_path / "a/checkpoints/trial0/last.pt", weights_only=True)
    d = torch.load(tmp_path / "d/checkpoints/trial0/last.pt", weights_only=True)
    for key in a["model"]:
        assert torch.equal(a["model"][key], d["model"][key]), key


def _kill_after(data: RunData, out, evaluations_done: int) -> None:
    """Train until ``evaluations_done`` checkpoints exist, then stop as a killed process would."""
    import glioma_lib.training.trial as training

    calls = {"n": 0}
    original = training.save_checkpoint

    def checkpoint(path, **state):
        original(path, **state)
        if path.name == "last.pt":
            calls["n"] += 1
            if calls["n"] == evaluations_done:
                raise KeyboardInterrupt

    training.save_checkpoint = checkpoint
    try:
        with pytest.raises(KeyboardInterrupt):
            run_trial(_run(data, _config(), out), 0)
    finally:
        training.save_checkpoint = original


def test_resume_refuses_other_settings_naming_them_and_restart_trains_afresh(planted_entries, tmp_path):
    data = _data(planted_entries)
    first = run_trial(_run(data, _config(lr=1e-4), tmp_path), 0)
    with pytest.raises(StaleCheckpoint, match=r"lr: 0\.0001 -> 0\.0002"):
        run_trial(_run(data, _config(lr=2e-4), tmp_path), 0)
    other_data = _data(planted_entries.iloc[::-1])
    other_data.identity = "other patients"
    with pytest.raises(StaleCheckpoint, match="data"):
        run_trial(_run(other_data, _config(lr=1e-4), tmp_path), 0)
    fresh = run_trial(_run(data, _config(lr=2e-4), tmp_path, restart=True), 0)
    assert len(fresh) == 3 and not fresh["loss"].equals(first["loss"])
    state = torch.load(tmp_path / "checkpoints/trial0/last.pt", weights_only=True)
    assert json.loads(state["settings"])["lr"] == 2e-4
    # The same settings resume (nothing to do): the history is returned unchanged.
    again = run_trial(_run(data, _config(lr=2e-4), tmp_path), 0)
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), fresh.drop(columns="seconds"))


def test_a_truncated_checkpoint_is_named_and_restart_discards_it(planted_entries, tmp_path, capsys):
    """A `last.pt` cut short (a full disk, a killed copy): a plain resume names the file and what to
    do; restart (what the workflow's training steps run with) discards it and trains the trial again."""
    from glioma_lib.models.checkpoint import CorruptCheckpoint

    data = _data(planted_entries)
    first = run_trial(_run(data, _config(), tmp_path), 0)
    last = tmp_path / "checkpoints/trial0/last.pt"
    last.write_bytes(last.read_bytes()[:1000])
    with pytest.raises(CorruptCheckpoint, match=r"cannot be read.*restart.*file .*trial0/last\.pt"):
        run_trial(_run(data, _config(), tmp_path), 0)
    again = run_trial(_run(data, _config(), tmp_path, restart=True), 0)
    assert "discarded and it trains again" in capsys.readouterr().out
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), first.drop(columns="seconds"))


def test_a_split_smaller_than_one_batch_is_refused(planted_entries, tmp_path):
    data = _data(planted_entries.iloc[:3])
    with pytest.raises(ValueError, match="training split has 3 patients"):
        run_trial(_run(data, _config(), tmp_path), 0)


def test_mtl_learns_from_a_batch_of_only_unlabelled_patients(planted_entries):
    entries = planted_entries.assign(label=-1)
    dataset = MultiTaskDataset(entries, FORMATS["t1ce"], entries.set_index("patient_id")["label"])
    batch = next(iter(make_loader(dataset, 4, shuffle=False)))
    model = SubtypeModel("mtl", 1, 2)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    out = model(batch["image"])
    parts = multitask_loss(out.logits, batch["label"], torch.ones(2), out.seg_logits, batch["target"],
                           batch["target_kind"], torch.ones(2), torch.ones(2))  # fmt: skip
    assert parts.classification.item() == 0 and parts.segmentation.item() > 0
    parts.total.backward()
    optimizer.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.encoder.parameters(), strict=True))
