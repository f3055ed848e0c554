"""The mean teacher: its average against a naive one, its ramp and loss, its unlabelled pool, its
trial (the averaged model is scored and kept, and a resumed trial ends as an uninterrupted one)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from glioma_lib.config.schema import MeanTeacherSettings
from glioma_lib.core.layout import TrainingRun
from glioma_lib.models.checkpoint import load_checkpoint_model
from glioma_lib.training.data import run_split
from glioma_lib.training.mean_teacher import (
    averaged_copy,
    consistency_loss,
    consistency_weight,
    decay_at,
    ema_update,
)
from glioma_lib.training.run import trains_batched
from glioma_lib.training.trial import run_trial
from tests.training.conftest import planted_data as _data
from tests.training.conftest import planted_run as _run
from tests.training.conftest import small_config as _config


def test_the_average_follows_a_naive_one_with_tarvainens_schedule():
    torch.manual_seed(0)
    student = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    teacher = averaged_copy(student)
    naive = [p.detach().numpy().astype(np.float64).copy() for p in teacher.parameters()]
    assert not any(p.requires_grad for p in teacher.parameters())
    for update in range(5):
        with torch.no_grad():
            for p in student.parameters():
                p.add_(torch.randn_like(p))
        decay = decay_at(update, 0.99)
        ema_update(teacher, student, decay)
        naive = [decay * m + (1 - decay) * p.detach().numpy() for m, p in zip(naive, student.parameters(), strict=True)]
        for mean, expected in zip(teacher.parameters(), naive, strict=True):
            np.testing.assert_allclose(mean.numpy(), expected, rtol=1e-5, atol=1e-6)
    # Early on the average is the plain mean of the student's weights so far; later the decay caps it.
    assert [decay_at(u, 0.99) for u in (0, 1, 2)] == pytest.approx([1 / 2, 2 / 3, 3 / 4])
    assert decay_at(10_000, 0.99) == 0.99


def test_the_consistency_weight_ramps_up_then_holds():
    settings = MeanTeacherSettings(ema_decay=0.99, consistency_weight=10.0, consistency_rampup=0.25)
    weights = [consistency_weight(u, 400, settings) for u in range(0, 400, 10)]
    assert weights[0] == pytest.approx(10.0 * math.exp(-5.0))
    assert all(a <= b for a, b in zip(weights, weights[1:], strict=False))
    assert consistency_weight(100, 400, settings) == consistency_weight(399, 400, settings) == 10.0
    flat = settings.model_copy(update={"consistency_rampup": 0.0})
    assert consistency_weight(0, 400, flat) == 10.0


def test_the_consistency_loss_is_the_mean_squared_difference_of_probabilities():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))

    def softmax(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    naive = ((softmax(a) - softmax(b)) ** 2).mean()
    assert consistency_loss(torch.tensor(a), torch.tensor(b)).item() == pytest.approx(naive, rel=1e-6)
    assert consistency_loss(torch.tensor(a), torch.tensor(a)).item() == 0.0


def test_the_mean_teacher_uses_the_same_unlabelled_pool_and_batches_as_mtl(planted_entries):
    split = ["train"] * 8 + ["validation"] * 2 + ["unlabelled_mr"] * 2
    manifest = pd.DataFrame({"patient_id": planted_entries["patient_id"], "split": split,
                             "idh_mutant": planted_entries["label"].astype(bool)})  # fmt: skip
    index = planted_entries[["patient_id", "entry", "mask_kind"]]
    splits = {model: run_split(manifest, index, _config(model=model, selection_fraction=0.25))
              for model in ("mtl", "mean_teacher", "cnn")}  # fmt: skip
    pd.testing.assert_frame_equal(splits["mean_teacher"].patients(), splits["mtl"].patients())
    assert {"p10", "p11"} <= set(splits["mean_teacher"].train["patient_id"])
    assert not {"p10", "p11"} & set(splits["cnn"].train["patient_id"])
    volumes = {m: _config(model=m, unlabelled_per_batch=4).volumes_per_step for m in ("mtl", "mean_teacher", "cnn")}
    assert volumes == {"mtl": 8, "mean_teacher": 8, "cnn": 4}


def test_the_averaged_model_is_scored_and_kept(planted_entries, tmp_path):
    data = _data(planted_entries)
    history = run_trial(_run(data, _config(model="mean_teacher", updates=8, evaluations=2), tmp_path), 0)
    assert (history["consistency_loss"] > 0).all() and (history["validation_probability_sd"] > 0.001).all()
    files = TrainingRun(tmp_path)
    last = torch.load(files.checkpoint(0, "last"), weights_only=True)
    best = torch.load(files.checkpoint(0, "best"), weights_only=True)
    assert best["metadata"]["kind"] == "mean_teacher"
    if best["evaluation"] == last["evaluation"]:
        assert all(torch.equal(best["model"][k], last["ema_model"][k]) for k in best["model"])
    assert any(not torch.equal(last["model"][k], last["ema_model"][k]) for k in last["model"])  # two models
    model = load_checkpoint_model(files.checkpoint(0, "best"))
    assert model.decoder is None


def test_a_resumed_mean_teacher_trial_ends_as_an_uninterrupted_one(planted_entries, tmp_path, monkeypatch):
    import glioma_lib.training.trial as training

    data = _data(planted_entries)
    config = _config(model="mean_teacher", updates=6, evaluations=3, unlabelled_per_batch=0)
    straight = run_trial(_run(data, config, tmp_path / "a"), 0)
    original, saved = training.save_checkpoint, {"last": 0}

    def killed_after_two(path, **state):
        original(path, **state)
        if path.name == "last.pt":
            saved["last"] += 1
            if saved["last"] == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(training, "save_checkpoint", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        run_trial(_run(data, config, tmp_path / "b"), 0)
    monkeypatch.setattr(training, "save_checkpoint", original)
    resumed = run_trial(_run(data, config, tmp_path / "b"), 0)
    columns = ["updates", "loss", "consistency_loss", "selection_auc", "validation_auc"]
    pd.testing.assert_frame_equal(straight[columns], resumed[columns])
    a, b = (torch.load(TrainingRun(tmp_path / d).checkpoint(0, "last"), weights_only=True) for d in "ab")
    for key in a["ema_model"]:
        assert torch.equal(a["ema_model"][key], b["ema_model"][key]), key


def test_only_a_mean_teacher_run_depends_on_its_settings():
    cnn, mean_teacher = _config(model="cnn"), _config(model="mean_teacher")
    assert "mean_teacher" not in cnn.fingerprint("data", None)
    other = mean_teacher.model_copy(update={"mean_teacher": mean_teacher.mean_teacher.model_copy(
        update={"ema_decay": 0.999})})  # fmt: skip
    assert other.fingerprint("data", None) != mean_teacher.fingerprint("data", None)
    with pytest.raises(ValueError, match="mean_teacher settings are required"):
        type(cnn).model_validate({**cnn.model_dump(), "model": "mean_teacher"})
    # Stacked trials do not carry the averaged model: a mean-teacher run trains its trials in turn.
    assert trains_batched(_config(model="cnn", batch_trials=True))
    assert not trains_batched(_config(model="mean_teacher", batch_trials=True))
