"""Checkpoints that say what they hold (as MONAI bundles' metadata does): saving, reading on any
device, and one :func:`load_checkpoint_model` that rebuilds the model a checkpoint describes.

A checkpoint is ``{"model": state dict, "metadata": {...}, ...}``. Metadata ``kind`` is
``segmentation`` (the weak-label teacher: a 3D-ESPNet) or ``cnn``/``mtl``/``mean_teacher`` (a subtype model, with
its input format, channels in order, classes, SCNA width, normalisation and pooled levels).
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from glioma_lib.core.atomic import atomic_path
from glioma_lib.core.errors import InputDataError
from glioma_lib.inputs.formats import get_format
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.models.heads import SubtypeModel


def save_checkpoint(path: str | Path, **content: Any) -> None:
    """Write ``content`` (tensors moved to the CPU are the caller's choice) atomically."""
    with atomic_path(path) as tmp:
        torch.save(content, tmp)


class CorruptCheckpoint(InputDataError):
    """A checkpoint that exists but cannot be read (truncated by a full disk or a killed copy)."""


def read_checkpoint(path: str | Path) -> dict:
    """A checkpoint's content, every tensor on the CPU whatever device saved it (``weights_only``).
    A damaged file raises :class:`CorruptCheckpoint` naming it and what to do."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, ValueError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise CorruptCheckpoint(f"the checkpoint cannot be read ({type(exc).__name__}: {str(exc)[:120]}): it is "
                                "damaged or truncated. The step that wrote it makes it again: re-run that step "
                                "with restart (`glioma run` re-runs training with restart, which discards it; or "
                                "`glioma notebook 03_subtype_training ... -p restart true`), or delete the file",
                                path=path) from exc  # fmt: skip


def model_from_metadata(metadata: dict) -> nn.Module:
    """An untrained model of the shape ``metadata`` describes."""
    channels = len(metadata["channels"])
    if metadata["kind"] == "segmentation":
        return ESPNet3D(in_channels=channels, n_classes=len(metadata["classes"]))
    return SubtypeModel(metadata["kind"], channels, get_format(metadata["input_format"]).n_seg_classes,
                        n_classes=len(metadata["classes"]), scna_dim=metadata["scna_dim"], norm=metadata["norm"],
                        pooled_levels=metadata["pooled_levels"])  # fmt: skip


def load_checkpoint_model(path: str | Path) -> nn.Module:
    """The model a checkpoint describes, with its weights, on the CPU, in eval mode.

    Example:
        >>> run = RunLayout("runs/default").run("idh-t1ce-mtl")  # doctest: +SKIP
        >>> model = load_checkpoint_model(run.checkpoint(0, "best"))  # doctest: +SKIP
    """
    checkpoint = read_checkpoint(path)
    if "metadata" not in checkpoint:
        raise InputDataError("the checkpoint does not say what model it holds (no metadata; it predates them); "
                             "re-run the step that made it", path=path)  # fmt: skip
    model = model_from_metadata(checkpoint["metadata"])
    model.load_state_dict(checkpoint["model"])
    return model.eval()
