"""The subtype models: MTL (segmentation + classification branch) and the CNN baseline.

Both models share one classification branch: the encoder's deepest features (256) are pooled,
with those of the ``pooled_levels - 1`` levels above them (3 in this project's profiles adds 256
and 128: at 16^3 tumour crops the deepest two levels are single voxels, and a branch fed by the
deepest alone collapsed to one prediction for every patient in some seeds; 1, the default, is the
paper's), optionally joined with an SCNA embedding (PCA vector -> 200 -> 128 MLP), and passed
through a hidden layer (to 128, ReLU, dropout) whose activation is the patient embedding used for
survival, then a linear classifier. The only differences between MTL and CNN are the decoder and
the unlabelled scans it lets the MTL model learn from, so a comparison of the two isolates them.
The mean teacher's network is the CNN's (it learns from unlabelled scans through a consistency
loss instead of a decoder: ``training.mean_teacher``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from glioma_lib.core.naming import MODALITIES
from glioma_lib.models.espnet import DEFAULT_NORM, ENCODER_WIDTHS, Decoder, Encoder


@dataclass
class ModelOutput:
    logits: torch.Tensor  # (B, n_classes) classification logits (softmax is applied once, in the loss)
    seg_logits: torch.Tensor | None  # (B, n_seg, *size), None for the CNN
    embedding: torch.Tensor  # (B, hidden) patient embedding


class TrialDropout(nn.Dropout):
    """Dropout over ``features`` that, when a mask is set (the scaled keep-mask of one step), applies
    it instead of drawing one: batched trials (``training.batched``) draw each trial's masks from
    the trial's own random stream. Without a mask it is ``nn.Dropout``, drawing as torch does."""

    def __init__(self, p: float, features: int):
        super().__init__(p)
        self.features = features
        self.register_buffer("mask", torch.empty(0), persistent=False)  # not in checkpoints

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.mask.numel():
            return x * self.mask
        return super().forward(x)


class ScnaMLP(nn.Sequential):
    """SCNA principal components -> 200 -> 128 (the paper's sizes)."""

    def __init__(self, n_in: int, hidden: int = 200, n_out: int = 128, dropout: float = 0.2):
        super().__init__(nn.Linear(n_in, hidden), nn.ReLU(), TrialDropout(dropout, hidden), nn.Linear(hidden, n_out),
                         nn.ReLU())  # fmt: skip


class SubtypeModel(nn.Module):
    """``kind`` "mtl" (decoder + classification branch), "cnn" or "mean_teacher" (encoder +
    classification branch, no decoder)."""

    def __init__(self, kind: str, in_channels: int, n_seg_classes: int, n_classes: int = 2,
                 scna_dim: int = 0, hidden: int = 128, dropout: float = 0.3, norm: str = DEFAULT_NORM,
                 pooled_levels: int = 1):
        super().__init__()
        if kind not in ("mtl", "cnn", "mean_teacher"):
            raise ValueError(f"unknown model kind {kind!r}")
        if not 1 <= pooled_levels <= len(ENCODER_WIDTHS):
            raise ValueError(f"pooled_levels must be 1-{len(ENCODER_WIDTHS)}; got {pooled_levels}")
        self.kind, self.pooled_levels = kind, pooled_levels
        self.encoder = Encoder(in_channels, norm)
        self.decoder = Decoder(n_seg_classes, norm=norm) if kind == "mtl" else None
        width = sum(ENCODER_WIDTHS[-pooled_levels:])
        self.scna = ScnaMLP(scna_dim) if scna_dim > 0 else None
        joined = width + (128 if self.scna is not None else 0)
        self.hidden = nn.Sequential(nn.Linear(joined, hidden), nn.ReLU(), TrialDropout(dropout, hidden))
        self.classifier = nn.Linear(hidden, n_classes)

    def classification_branch(self) -> nn.ModuleList:
        """The layers after the encoder that only classification trains: SCNA MLP, hidden layer, classifier."""
        return nn.ModuleList(m for m in (self.scna, self.hidden, self.classifier) if m is not None)

    def forward(self, image: torch.Tensor, scna: torch.Tensor | None = None, segment: bool = True) -> ModelOutput:
        """Logits, embedding and (MTL, ``segment=True``) segmentation logits; classification-only
        inference passes ``segment=False`` and skips the decoder."""
        features = self.encoder(image)
        pooled = torch.cat([level.mean(dim=(2, 3, 4)) for level in features[-self.pooled_levels:]], dim=1)
        if self.scna is not None:
            pooled = torch.cat([pooled, self.scna(scna)], dim=1)
        embedding = self.hidden(pooled)
        seg = self.decoder(features, image.shape[2:]) if self.decoder is not None and segment else None
        return ModelOutput(self.classifier(embedding), seg, embedding)


def first_conv_channels(channels: tuple[str, ...]) -> list[int]:
    """Channels of a four-modality checkpoint's first convolution that a format's input maps to.

    A single modality takes its own channel (the original code always took channel 0, i.e. T1).
    The subtraction map T1ce - T1 takes T1ce's filters: enhancement is what it shows.
    """
    source = {"t1ce_minus_t1": "t1ce"}
    return [MODALITIES.index(source.get(c, c)) for c in channels]


def load_segmentation_weights(model: SubtypeModel, state: dict[str, torch.Tensor],
                              channels: tuple[str, ...]) -> list[str]:
    """Initialise from a four-channel segmentation (teacher) state dict; returns the skipped keys.

    Encoder and decoder weights are copied where shapes match; the first convolution is sliced to
    the format's channels; a segmentation classifier with another class count is left as it is.
    """
    own = model.state_dict()
    stem_key = "encoder.stem.0.weight"
    updates, skipped = {}, []
    for key, value in state.items():
        if key == stem_key and value.shape[1] != own[key].shape[1]:
            value = value[:, first_conv_channels(channels)]
        if key in own and own[key].shape == value.shape:
            updates[key] = value
        else:
            skipped.append(key)
    model.load_state_dict(updates, strict=False)
    return skipped
