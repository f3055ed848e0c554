"""The loop every training shares: device choice, the mixed-precision switch, batch moves, seeding."""

from __future__ import annotations

import torch

from glioma_lib.training.loop import (
    batch_on_device,
    choose_device,
    model_device,
    optimiser_step,
    place_model,
    seed_stretch,
    uses_mixed_precision,
)


def test_device_choice():
    assert choose_device("cpu") == torch.device("cpu")
    assert choose_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")


def test_mixed_precision_only_on_cuda_and_only_when_asked():
    assert not uses_mixed_precision(torch.device("cpu"), True)
    assert uses_mixed_precision(torch.device("cuda"), True) and not uses_mixed_precision(torch.device("cuda"), False)


def test_batches_move_tensors_and_keep_the_rest():
    batch = {"image": torch.ones(2, 1, 4, 4, 4), "patient_id": ["a", "b"]}
    moved = batch_on_device(batch, torch.device("cpu"), mixed=True)
    assert moved["patient_id"] == ["a", "b"] and moved["image"].is_contiguous()  # no channels-last off CUDA


def test_a_stretch_draws_the_same_numbers_whenever_it_starts():
    seed_stretch(7, 3)
    first = torch.rand(3)
    torch.rand(100)  # whatever ran before
    seed_stretch(7, 3)
    assert torch.equal(first, torch.rand(3))
    seed_stretch(7, 4)
    assert not torch.equal(first, torch.rand(3))


def test_one_optimiser_step_moves_the_weights():
    model = place_model(torch.nn.Linear(3, 1), torch.device("cpu"), mixed=False)
    before = model.weight.detach().clone()
    optimiser_step(model(torch.ones(2, 3)).sum(), torch.optim.SGD(model.parameters(), lr=0.1))
    assert not torch.equal(before, model.weight) and model_device(model) == torch.device("cpu")
    assert model_device(torch.nn.ReLU()) == torch.device("cpu")
