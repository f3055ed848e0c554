"""Batched trials: one stacked model, the same trials as when trained one after another."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from glioma_lib.core.layout import TrainingRun
from glioma_lib.inputs.augment import training_augmentation
from glioma_lib.models.checkpoint import read_checkpoint
from glioma_lib.models.heads import SubtypeModel
from glioma_lib.training import batched
from glioma_lib.training.batched import StackedTrials, run_trials_batched
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.trial import run_trial
from tests.training.conftest import planted_data, planted_run, small_config

# fp32: vmapped (grouped) convolutions round differently, and Adam's first steps follow the sign of
# each gradient element, so rounding on near-zero gradients moves some weights by a whole learning
# rate: after 6 updates losses and probabilities agree to these; the first update's loss to 1e-5.
TOLERANCE = {"rtol": 1e-2, "atol": 5e-3}


def _config(**changes) -> TrainConfig:
    return small_config(**{"evaluations": 2, "trials": 3, "augment": True, **changes})


def _validation_probabilities(out_dir, trial) -> list[float]:
    state = read_checkpoint(TrainingRun(out_dir).checkpoint(trial, "last"))
    return [p for e in json.loads(state["predictions"]) for p in e["validation"]["probability"]]


@pytest.fixture
def exact_cuda():
    """fp32 without TF32 on a GPU, so batched and sequential trials compare as on a CPU."""
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


ON_CUDA = pytest.mark.cuda


@pytest.mark.slow
@pytest.mark.parametrize("model, use_scna, vectorised, device", [
    ("cnn", False, True, "cpu"), ("mtl", False, True, "cpu"), ("mtl", True, True, "cpu"), ("mtl", True, False, "cpu"),
    pytest.param("cnn", False, True, "cuda", marks=ON_CUDA), pytest.param("mtl", True, True, "cuda", marks=ON_CUDA),
])  # fmt: skip
def test_batched_trials_equal_sequential_trials(planted_entries, tmp_path, exact_cuda, model, use_scna, vectorised,
                                                device):  # fmt: skip
    """Same seeds: the same per-trial losses, validation probabilities and saved weights, with
    augmentation and dropout (in the SCNA branch too) drawn per trial; vmapped (a GPU's default)
    or trial by trial on the stacked state (a CPU's); on a GPU with the augmentation on the device."""
    scna = None
    if use_scna:
        rng = np.random.default_rng(1)
        scna = pd.DataFrame(rng.normal(size=(12, 5)), index=planted_entries["patient_id"])
    data = planted_data(planted_entries, training_augmentation(), scna)
    config = _config(model=model, use_scna=use_scna, device=device, mixed_precision=False)
    sequential = [run_trial(planted_run(data, config, tmp_path / "one"), t) for t in range(3)]
    together = run_trials_batched(planted_run(data, config, tmp_path / "all"), [0, 1, 2], vectorised=vectorised)
    first = _config(model=model, use_scna=use_scna, device=device, mixed_precision=False, updates=1,
                    evaluations=1)  # same batches, same dropout masks
    one = [run_trial(planted_run(data, first, tmp_path / "first_one"), t)["loss"].item() for t in range(3)]
    together_one = run_trials_batched(planted_run(data, first, tmp_path / "first_all"), [0, 1, 2],
                                      vectorised=vectorised)  # fmt: skip
    np.testing.assert_allclose([h["loss"].item() for h in together_one], one, rtol=1e-5)
    for trial in range(3):
        columns = ["loss", "classification_loss", "segmentation_loss", "selection_auc", "validation_auc"]
        pd.testing.assert_frame_equal(together[trial][columns], sequential[trial][columns], **TOLERANCE)
        np.testing.assert_allclose(_validation_probabilities(tmp_path / "all", trial),
                                   _validation_probabilities(tmp_path / "one", trial), **TOLERANCE)  # fmt: skip
        a, b = (read_checkpoint(TrainingRun(d).checkpoint(trial, "last")) for d in (tmp_path / "all", tmp_path / "one"))
        assert a["model"].keys() == b["model"].keys() and a["optimizer"].keys() == b["optimizer"].keys()
        weights_a, weights_b = (torch.cat([t.flatten() for t in s["model"].values()]) for s in (a, b))
        # Adam magnifies rounding where a gradient is ~0 (tiny biases): the whole model's weights agree
        assert torch.linalg.vector_norm(weights_a - weights_b) <= 1e-3 * torch.linalg.vector_norm(weights_b)
    assert not np.allclose(sequential[0]["loss"], sequential[1]["loss"])  # the trials are different trials


@pytest.mark.cuda
def test_on_a_gpu_bf16_batched_trials_start_as_bf16_sequential_trials(planted_entries, tmp_path):
    """The fast path (bf16 autocast; vmapped, without channels-last) against sequential bf16
    trials (channels-last): the first update's losses agree to bf16 rounding."""
    data = planted_data(planted_entries, training_augmentation())
    config = _config(model="mtl", device="cuda", mixed_precision=True, updates=1, evaluations=1)
    one = [run_trial(planted_run(data, config, tmp_path / "one"), t)["loss"].item() for t in range(3)]
    together = run_trials_batched(planted_run(data, config, tmp_path / "all"), [0, 1, 2])
    np.testing.assert_allclose([h["loss"].item() for h in together], one, rtol=2e-2)


@pytest.mark.parametrize("norm, device", [("group", "cpu"), ("batch", "cpu"),
                                          pytest.param("group", "cuda", marks=ON_CUDA)])
def test_vmapped_gradients_equal_each_models_own_in_float64(norm, device):
    """The stacked forward and backward are each trial's own, exactly (float64). With BatchNorm at
    16^3 crops the bottleneck normalises over 4 values, which magnifies fp32 rounding from step to
    step, so BatchNorm trials are compared here rather than after several fp32 steps."""
    torch.manual_seed(0)
    models = [SubtypeModel("mtl", 1, 2, norm=norm, dropout=0.0).double().to(device) for _ in range(2)]
    stacked = StackedTrials(models, _config())
    images = torch.randn(2, 4, 1, 16, 16, 16, dtype=torch.float64, device=device)
    logits, seg = stacked.forward(images, None, {})
    ((logits**2).sum() + (seg**2).mean()).backward()
    for k, model in enumerate(models):
        out = model(images[k])
        ((out.logits**2).sum() + (out.seg_logits**2).mean() / 2).backward()  # the stacked mean spans both trials
        for name, parameter in model.named_parameters():
            torch.testing.assert_close(stacked.params[name].grad[k], parameter.grad, rtol=1e-6, atol=1e-10)


@pytest.mark.slow
def test_a_killed_batched_run_resumes_to_the_uninterrupted_result(planted_entries, tmp_path, monkeypatch):
    """Killed after the first evaluation (trial 2 even before saving it): the resumed run trains
    trials 0-1 together from their checkpoints, trial 2 from scratch, and ends as an uninterrupted run."""
    data = planted_data(planted_entries, training_augmentation())
    config = _config(model="mtl")
    reference = run_trials_batched(planted_run(data, config, tmp_path / "reference"), [0, 1, 2])

    record = batched.record_evaluation

    def killed(run, trial, state, *args):
        evaluation = len(state.history)
        if evaluation == 1 or (evaluation == 0 and trial == 2):
            raise KeyboardInterrupt
        record(run, trial, state, *args)

    monkeypatch.setattr(batched, "record_evaluation", killed)
    with pytest.raises(KeyboardInterrupt):
        run_trials_batched(planted_run(data, config, tmp_path / "killed"), [0, 1, 2])
    monkeypatch.setattr(batched, "record_evaluation", record)
    assert not TrainingRun(tmp_path / "killed").checkpoint(2, "last").exists()
    resumed = run_trials_batched(planted_run(data, config, tmp_path / "killed"), [0, 1, 2])
    for trial in range(3):
        columns = ["loss", "selection_auc", "validation_auc"]
        pd.testing.assert_frame_equal(resumed[trial][columns], reference[trial][columns], **TOLERANCE)


def test_sequential_and_batched_runs_share_checkpoints(planted_entries, tmp_path):
    """A run begun one trial at a time can be finished batched (and the fingerprint ignores the mode)."""
    data = planted_data(planted_entries)
    config = _config(model="cnn", evaluations=3)
    run_trial(planted_run(data, config, tmp_path), 0)
    together = config.model_copy(update={"batch_trials": True})
    histories = run_trials_batched(planted_run(data, together, tmp_path), [0, 1])
    assert [len(h) for h in histories] == [3, 3]


def test_trials_are_stacked_in_groups_that_fit_the_memory_cap(planted_entries, tmp_path, monkeypatch):
    """Vmapped on a CPU with a cap that holds two trials' estimated peak: three trials train as a
    group of two, then one, and end as the same trials trained one after another."""
    from glioma_lib.core.cost_model import BASE_MB, HEADROOM, trial_memory_mb

    data = planted_data(planted_entries, training_augmentation())
    per_trial = trial_memory_mb("mtl", [16, 16, 16], 4)
    cap = int((BASE_MB + 2.5 * per_trial) * HEADROOM)
    config = _config(model="mtl", mixed_precision=False, trial_group_memory_mb=cap)
    groups = []
    together = batched._train_together

    def recording(run, trials, states, vectorised):
        groups.append(list(trials))
        together(run, trials, states, vectorised)

    monkeypatch.setattr(batched, "_train_together", recording)
    grouped = run_trials_batched(planted_run(data, config, tmp_path / "grouped"), [0, 1, 2], vectorised=True)
    assert groups == [[0, 1], [2]]
    sequential = [run_trial(planted_run(data, config, tmp_path / "one"), t) for t in range(3)]
    for trial in range(3):
        columns = ["loss", "selection_auc", "validation_auc"]
        pd.testing.assert_frame_equal(grouped[trial][columns], sequential[trial][columns], **TOLERANCE)
    no_cap = config.model_copy(update={"trial_group_memory_mb": None})
    assert batched.group_size(planted_run(data, no_cap, tmp_path / "x"), 3, vectorised=True) == 3  # CPU: no cap
    assert batched.group_size(planted_run(data, config, tmp_path / "x"), 3, vectorised=False) == 3  # one at a time
