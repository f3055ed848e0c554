"""3D-ESPNet with pyramidal refinement (Nuechterlein & Mehta, BrainLes 2018), written anew.

Encoder: a 7^3 stride-2 convolution to 16 channels, then four stride-2 stages of widths
32/128/256/256; stages 2-4 repeat 2/2/3 dilated-parallel-residual (DPR) blocks. A DPR block
reduces with a 1x1 convolution, runs four parallel 3^3 convolutions with dilations 1, 1, 2, 2,
fuses them hierarchically (each branch adds the previous one, which removes gridding
artefacts), concatenates and adds the input. The decoder upsamples and merges the encoder's
features level by level (concatenation and a 1x1 convolution); a pyramid-pooling head
(scales 0.2/0.4/0.6/0.8) refines the mask.

Normalisation is a model parameter (:data:`NORMS`). The paper used BatchNorm; this project
defaults to GroupNorm (as MONAI's SegResNet does): at batch 4 and small inputs the encoder ends
at a 1^3 bottleneck where BatchNorm normalises each channel over 4 values in training and its
running statistics never match them at evaluation, so eval-mode predictions collapse to a
constant. GroupNorm normalises each sample over groups of 8 channels, identically in training and
evaluation. ``"batch"`` keeps the paper's choice (momentum 0.05: with batches of 4 volumes, running
statistics need a long memory; the original code's 0.95 kept almost none).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

BN_MOMENTUM = 0.05
NORMS = ("group", "batch")
DEFAULT_NORM = "group"
CHANNELS_PER_GROUP = 8  # a group of 8 channels still has 8 values to normalise at a 1^3 bottleneck
ENCODER_WIDTHS = (32, 128, 256, 256)
ENCODER_REPEATS = (0, 2, 2, 3)
PYRAMID_SCALES = (0.2, 0.4, 0.6, 0.8)


def norm_layer(kind: str, channels: int) -> nn.Module:
    """The normalisation ``kind`` ("group" or "batch") for ``channels`` feature maps.

    Example:
        >>> norm_layer("group", 32)
        GroupNorm(4, 32, eps=1e-05, affine=True)
    """
    if kind == "batch":
        return nn.BatchNorm3d(channels, momentum=BN_MOMENTUM)
    if kind == "group":
        groups = max(1, channels // CHANNELS_PER_GROUP)
        while channels % groups:
            groups -= 1
        return nn.GroupNorm(groups, channels)
    raise ValueError(f"unknown normalisation {kind!r}; expected one of {NORMS}")


class ConvBNAct(nn.Sequential):
    """Convolution, normalisation, PReLU."""

    def __init__(self, n_in: int, n_out: int, kernel: int = 3, stride: int = 1, dilation: int = 1,
                 norm: str = DEFAULT_NORM):
        padding = dilation * (kernel - 1) // 2
        super().__init__(
            nn.Conv3d(n_in, n_out, kernel, stride=stride, padding=padding, dilation=dilation, bias=False),
            norm_layer(norm, n_out),
            nn.PReLU(n_out),
        )


class DilatedParallelBlock(nn.Module):
    """Reduce, four parallel dilated 3^3 convolutions, hierarchical fusion, concatenate (+ residual)."""

    def __init__(self, n_in: int, n_out: int, stride: int = 1, dilations: tuple[int, ...] = (1, 1, 2, 2),
                 norm: str = DEFAULT_NORM):
        super().__init__()
        branch = n_out // len(dilations)
        first = n_out - branch * (len(dilations) - 1)
        # Downsampling blocks reduce with a 2^3 stride-2 convolution (non-overlapping), others with a 1x1.
        if stride > 1:
            self.reduce = nn.Sequential(nn.Conv3d(n_in, branch, 2, stride=2, bias=False),
                                        norm_layer(norm, branch), nn.PReLU(branch))
        else:
            self.reduce = ConvBNAct(n_in, branch, kernel=1, norm=norm)
        widths = [first] + [branch] * (len(dilations) - 1)
        self.branches = nn.ModuleList(
            nn.Conv3d(branch, w, 3, padding=d, dilation=d, bias=False) for w, d in zip(widths, dilations, strict=True)
        )
        self.stride = stride
        self.residual = stride == 1 and n_in == n_out
        self.bn = norm_layer(norm, n_out)
        self.act = nn.PReLU(n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:  # pad odd sizes so the 2^3 reduction sees every voxel: output ceil(n / 2)
            x = F.pad(x, [p for n in reversed(x.shape[2:]) for p in (0, n % 2)], mode="replicate")
        reduced = self.reduce(x)
        outputs = [conv(reduced) for conv in self.branches]
        fused = [outputs[0]]
        for k in range(1, len(outputs)):
            previous = fused[-1] if k > 1 else torch.zeros_like(outputs[k])
            fused.append(outputs[k] + previous)  # hierarchical feature fusion
        out = torch.cat(fused, dim=1)
        if self.residual:
            out = out + x
        return self.act(self.bn(out))


class Encoder(nn.Module):
    """Stem and four stages; returns every level's features (finest first)."""

    def __init__(self, in_channels: int, norm: str = DEFAULT_NORM):
        super().__init__()
        self.stem = ConvBNAct(in_channels, 16, kernel=7, stride=2, norm=norm)
        stages, n_in = [], 16
        for width, repeats in zip(ENCODER_WIDTHS, ENCODER_REPEATS, strict=True):
            blocks = [DilatedParallelBlock(n_in, width, stride=2, norm=norm)]
            blocks += [DilatedParallelBlock(width, width, norm=norm) for _ in range(repeats)]
            stages.append(nn.Sequential(*blocks))
            n_in = width
        self.stages = nn.ModuleList(stages)
        self.out_channels = ENCODER_WIDTHS[-1]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = [self.stem(x)]
        for stage in self.stages:
            features.append(stage(features[-1]))
        return features


class PyramidRefinement(nn.Module):
    """Pool the features to fractions of their size, convolve, upsample and merge."""

    def __init__(self, channels: int, n_classes: int, scales: tuple[float, ...] = PYRAMID_SCALES,
                 norm: str = DEFAULT_NORM):
        super().__init__()
        self.scales = scales
        self.convs = nn.ModuleList(ConvBNAct(channels, channels, 3, norm=norm) for _ in scales)
        self.merge = ConvBNAct(channels * (len(scales) + 1), channels, 1, norm=norm)
        self.classifier = nn.Conv3d(channels, n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        pooled = [x]
        for scale, conv in zip(self.scales, self.convs, strict=True):
            small = [max(1, int(round(s * scale))) for s in size]
            y = conv(F.adaptive_avg_pool3d(x, small))
            pooled.append(F.interpolate(y, size=size, mode="trilinear", align_corners=False))
        return self.classifier(self.merge(torch.cat(pooled, dim=1)))


class Decoder(nn.Module):
    """Upsample from the deepest level, merging each shallower level by concatenation and a 1x1."""

    def __init__(self, n_classes: int, widths: tuple[int, ...] = (16, *ENCODER_WIDTHS), head: int = 16,
                 norm: str = DEFAULT_NORM):
        """Widths of the stem and the four stages; the refinement head works on ``head`` channels."""
        super().__init__()
        deep = list(reversed(widths))  # 256, 256, 128, 32, 16
        self.merges = nn.ModuleList()
        n_in = deep[0]
        for skip in deep[1:]:
            self.merges.append(ConvBNAct(n_in + skip, skip, 1, norm=norm))
            n_in = skip
        self.refine = PyramidRefinement(head, n_classes, norm=norm)

    def forward(self, features: list[torch.Tensor], size: torch.Size) -> torch.Tensor:
        x = features[-1]
        for merge, skip in zip(self.merges, reversed(features[:-1]), strict=True):
            x = F.interpolate(x, size=skip.shape[2:], mode="trilinear", align_corners=False)
            x = merge(torch.cat([x, skip], dim=1))
        x = F.interpolate(x, size=size, mode="trilinear", align_corners=False)
        return self.refine(x)


class ESPNet3D(nn.Module):
    """The segmentation network: logits (B, n_classes, *input size) at any input size."""

    def __init__(self, in_channels: int = 4, n_classes: int = 4, norm: str = DEFAULT_NORM):
        super().__init__()
        self.in_channels, self.n_classes = in_channels, n_classes
        self.encoder = Encoder(in_channels, norm)
        self.decoder = Decoder(n_classes, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x), x.shape[2:])
