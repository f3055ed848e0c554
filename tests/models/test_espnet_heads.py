"""Model shapes at odd sizes, parameter count, heads, and the 1-channel filter selection."""

from __future__ import annotations

import pytest
import torch

from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.models.heads import SubtypeModel, first_conv_channels, load_segmentation_weights


@pytest.mark.parametrize("size", [(33, 29, 31), (17, 9, 13), (32, 32, 32)])
def test_output_matches_input_size(size):
    model = ESPNet3D(in_channels=4, n_classes=4).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 4, *size))
    assert out.shape == (1, 4, *size)


def test_parameter_count_is_about_the_papers():
    count = sum(p.numel() for p in ESPNet3D(4, 4).parameters())
    assert 3.3e6 < count < 4.2e6  # paper: about 3.6 M; ours 3.98 M (see the model's docstring)


@pytest.mark.parametrize("kind, scna_dim, embedding", [("mtl", 0, 128), ("mtl", 50, 128), ("cnn", 0, 256)])
def test_heads(kind, scna_dim, embedding):
    model = SubtypeModel(kind, in_channels=1, n_seg_classes=2, scna_dim=scna_dim).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, 20, 20, 20), torch.randn(2, scna_dim) if scna_dim else None)
    assert out.logits.shape == (2, 2) and out.embedding.shape == (2, embedding)
    assert (out.seg_logits is None) == (kind == "cnn")
    if kind == "mtl":
        assert out.seg_logits.shape == (2, 2, 20, 20, 20)
    if scna_dim:
        assert model.scna[0].in_features == 50 and model.scna[3].out_features == 128


def test_cnn_has_no_decoder():
    assert SubtypeModel("cnn", 4, 4).decoder is None


@pytest.mark.parametrize("channels, expected", [
    (("t1",), [0]), (("t1ce",), [1]), (("t2",), [2]), (("flair",), [3]), (("t1ce_minus_t1",), [1]),
    (("t1", "t1ce", "t2", "flair"), [0, 1, 2, 3]),
])  # fmt: skip
def test_first_conv_channel_selection(channels, expected):
    assert first_conv_channels(channels) == expected


def test_single_modality_takes_its_own_pretrained_filters():
    teacher = ESPNet3D(4, 4)
    with torch.no_grad():
        for c in range(4):  # every input channel's filters distinguishable
            teacher.encoder.stem[0].weight[:, c] = c + 1.0
    model = SubtypeModel("mtl", in_channels=1, n_seg_classes=2)
    skipped = load_segmentation_weights(model, teacher.state_dict(), ("flair",))
    assert torch.all(model.encoder.stem[0].weight == 4.0)  # FLAIR is channel 3, not channel 0
    assert torch.equal(model.encoder.stages[2][1].branches[0].weight, teacher.encoder.stages[2][1].branches[0].weight)
    assert any(k.startswith("decoder.refine.classifier") for k in skipped)  # 4 classes -> 2: left as is
