"""Integrated gradients (captum) for the classification branch: where in the volume the evidence is."""

from __future__ import annotations

import numpy as np
import torch
from captum.attr import IntegratedGradients
from torch import nn


class ClassLogits(nn.Module):
    """A subtype model seen as image -> classification logits (what captum attributes)."""

    def __init__(self, model: nn.Module, scna: torch.Tensor | None = None):
        super().__init__()
        self.model = model
        self.scna = scna

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        scna = None if self.scna is None else self.scna.expand(len(image), -1)
        return self.model(image, scna).logits


def integrated_gradients(model: nn.Module, image: torch.Tensor, target: int, n_steps: int = 32,
                         baseline: torch.Tensor | None = None) -> tuple[np.ndarray, float]:
    """Attributions (same shape as ``image``, without the batch axis) and captum's convergence delta.

    The baseline is the normalised-intensity zero (the brain's mean), so attributions say what
    departs from an average brain. Completeness: attributions sum to F(image) - F(baseline) up
    to the delta.
    """
    model.eval()
    image = image.unsqueeze(0) if image.ndim == 4 else image
    baseline = torch.zeros_like(image) if baseline is None else baseline
    explainer = IntegratedGradients(model)
    attributions, delta = explainer.attribute(image, baselines=baseline, target=target, n_steps=n_steps,
                                              return_convergence_delta=True)  # fmt: skip
    return attributions[0].detach().numpy(), float(delta.abs().max())
