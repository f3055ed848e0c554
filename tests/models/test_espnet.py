"""The 3D-ESPNet: sizes, parameter count, normalisation."""

from __future__ import annotations

import pytest
import torch

from glioma_lib.models.espnet import ESPNet3D, norm_layer
from glioma_lib.models.heads import SubtypeModel


@pytest.mark.parametrize("size", [(33, 29, 31), (17, 9, 13), (32, 32, 32)])
def test_output_matches_input_size(size):
    model = ESPNet3D(in_channels=4, n_classes=4).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 4, *size))
    assert out.shape == (1, 4, *size)


def test_parameter_count_is_about_the_papers():
    count = sum(p.numel() for p in ESPNet3D(4, 4).parameters())
    assert 3.3e6 < count < 4.2e6  # paper: about 3.6 M; ours 3.98 M (see the model's docstring)


@pytest.mark.parametrize("channels, groups", [(8, 1), (16, 2), (32, 4), (256, 32), (20, 2)])
def test_group_norm_keeps_several_channels_per_group(channels, groups):
    layer = norm_layer("group", channels)
    assert isinstance(layer, torch.nn.GroupNorm) and layer.num_groups == groups
    assert isinstance(norm_layer("batch", channels), torch.nn.BatchNorm3d)
    with pytest.raises(ValueError, match="unknown normalisation"):
        norm_layer("layer", channels)


def test_group_norm_model_gives_the_same_outputs_in_train_and_eval_mode():
    """At a 1^3 bottleneck, BatchNorm's eval-mode statistics disagree with its batch statistics;
    GroupNorm normalises each sample alone, so train and eval mode agree (dropout aside)."""
    torch.manual_seed(0)
    image = torch.randn(4, 1, 16, 16, 16)
    model = SubtypeModel("cnn", 1, 2, dropout=0.0)
    with torch.no_grad():
        train_out = model.train()(image).logits
        eval_out = model.eval()(image).logits
    torch.testing.assert_close(train_out, eval_out)
    batch_model = SubtypeModel("cnn", 1, 2, dropout=0.0, norm="batch")
    with torch.no_grad():
        batch_model.train()(image)  # one step of running statistics, as early in training
        assert not torch.allclose(batch_model.train()(image).logits, batch_model.eval()(image).logits, atol=1e-3)
