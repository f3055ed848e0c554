"""Integrated gradients: attributions add up to the change in output."""

from __future__ import annotations

import pytest
import torch

from glioma_lib.analyses.attribution import integrated_gradients


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv3d(1, 3, 3, padding=1)
        self.linear = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(torch.tanh(self.conv(x)).mean(dim=(2, 3, 4)))


def test_integrated_gradients_completeness():
    model = Tiny()
    image = torch.randn(1, 6, 6, 6)
    attributions, delta = integrated_gradients(model, image, target=1, n_steps=64)
    with torch.no_grad():
        difference = model(image[None])[0, 1] - model(torch.zeros(1, 1, 6, 6, 6))[0, 1]
    assert attributions.shape == image.shape
    assert attributions.sum() == pytest.approx(float(difference), abs=1e-3)
    assert delta < 1e-3
