"""The subtype models: one classification branch for CNN and MTL, and initialisation from a teacher."""

from __future__ import annotations

import pytest
import torch

from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.models.heads import SubtypeModel, first_conv_channels, load_segmentation_weights


@pytest.mark.parametrize("kind, scna_dim, embedding", [("mtl", 0, 128), ("mtl", 50, 128), ("cnn", 0, 128)])
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


@pytest.mark.parametrize("levels, width", [(1, 256), (3, 256 + 256 + 128)])
def test_the_branch_pools_the_deepest_levels(levels, width):
    model = SubtypeModel("cnn", 1, 2, pooled_levels=levels).eval()
    assert model.hidden[0].in_features == width
    image = torch.randn(2, 1, 16, 16, 16)
    with torch.no_grad():
        features = model.encoder(image)
        pooled = torch.cat([f.mean(dim=(2, 3, 4)) for f in features[-levels:]], dim=1)
        assert torch.allclose(model(image).embedding, model.hidden(pooled))


def test_pooled_levels_out_of_range_is_refused():
    with pytest.raises(ValueError, match="pooled_levels"):
        SubtypeModel("cnn", 1, 2, pooled_levels=5)


def test_cnn_has_no_decoder():
    assert SubtypeModel("cnn", 4, 4).decoder is None


def test_cnn_and_mtl_share_one_classification_head():
    """The only difference between the two is the decoder: identical heads, identical encoders."""
    cnn, mtl = SubtypeModel("cnn", 1, 2), SubtypeModel("mtl", 1, 2)
    cnn_keys = {k: v.shape for k, v in cnn.state_dict().items()}
    mtl_keys = {k: v.shape for k, v in mtl.state_dict().items() if not k.startswith("decoder.")}
    assert cnn_keys == mtl_keys


def test_classification_only_inference_skips_the_decoder():
    model = SubtypeModel("mtl", 1, 2).eval()
    image = torch.randn(2, 1, 16, 16, 16)
    with torch.no_grad():
        full, light = model(image), model(image, segment=False)
    assert light.seg_logits is None and torch.allclose(full.logits, light.logits)


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
