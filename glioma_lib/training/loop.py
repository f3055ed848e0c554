"""What every training loop here shares (the subtype models' and the weak-label teacher's): the
device, bf16 autocast with channels-last 3D on CUDA, moving batches, one optimiser step, and the
seed of each stretch of updates."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from glioma_lib.inputs.augment import augment_batch, item_seed


def choose_device(name: str = "auto") -> torch.device:
    """CUDA when available (``auto``), else CPU; or the device named."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def uses_mixed_precision(device: torch.device, requested: bool) -> bool:
    """bf16 autocast and channels-last 3D: on CUDA only, when asked for."""
    return requested and device.type == "cuda"


def autocast(device: torch.device, mixed: bool):
    """bf16 autocast on the CUDA mixed-precision path, else nothing."""
    if uses_mixed_precision(device, mixed):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def augments_on_device(device: torch.device) -> bool:
    """Flips and noise are applied on the training device when it is not the CPU (the loader then
    only reads the cache); on the CPU the loader applies them with torchio."""
    return device.type != "cpu"


def batch_on_device(batch: dict, device: torch.device, mixed: bool) -> dict:
    """A loader batch ready for the model: its tensors on ``device``, the augmentation its items
    recorded applied there (``inputs.augment.augment_batch``; nothing when the loader augmented),
    and images channels-last 3D on the mixed path."""
    out = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            value = value.to(device, non_blocking=True)
        out[key] = value
    out = augment_batch(out)
    if "image" in out and uses_mixed_precision(device, mixed):
        out["image"] = out["image"].contiguous(memory_format=torch.channels_last_3d)
    return out


def place_model(model: nn.Module, device: torch.device, mixed: bool) -> nn.Module:
    """The model on ``device``, channels-last 3D on the mixed path."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last_3d) if uses_mixed_precision(device, mixed) else model


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters are (the CPU for a model without any)."""
    parameter = next(model.parameters(), None)
    return torch.device("cpu") if parameter is None else parameter.device


def optimiser_step(loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


DROPOUT_STREAM = 1 << 31  # a subtype trial's stretches between evaluations
TEACHER_STREAM = 1 << 30  # the teacher's epochs


def seed_stretch(seed: int, stretch: int, stream: int = DROPOUT_STREAM) -> int:
    """Seed torch for one resumable stretch of updates (an evaluation interval, a teacher epoch), so
    a resumed run draws dropout and shuffles as an uninterrupted one; returns the seed."""
    stretch_seed = item_seed(seed, stretch, stream)
    torch.manual_seed(stretch_seed)
    return stretch_seed
