"""Joint augmentation with torchio: one spatial transform for image and mask, intensity on images only.

Flips act on the three spatial axes of torchio's (C, X, Y, Z) tensors, never the channel axis
(the original code's flips could misalign image and mask). Each item's randomness is seeded from
(seed, epoch, index), so a run is reproducible and a resumed run draws the same augmentations.
"""

from __future__ import annotations

import numpy as np
import torch
import torchio as tio


def training_augmentation(noise_std: float = 0.05) -> tio.Compose:
    """Random flips along each spatial axis and mild Gaussian noise on the image.

    ``copy=False``: torchio would otherwise deep-copy every subject; ``augment`` builds a fresh one
    per item, and the flips and noise return new tensors, so the cache is never written.
    """
    return tio.Compose([
        tio.RandomFlip(axes=(0, 1, 2), flip_probability=0.5, copy=False),
        tio.RandomNoise(std=(0, noise_std), p=0.5 if noise_std > 0 else 0.0, copy=False),
    ], copy=False)  # fmt: skip


def item_seed(seed: int, epoch: int, index: int) -> int:
    """A distinct, reproducible seed for one item in one epoch."""
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0])


def augment(image: torch.Tensor, labels: torch.Tensor | None, transform: tio.Compose,
            seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Apply ``transform`` jointly to an image (C, X, Y, Z) and its label map (X, Y, Z)."""
    subject = {"image": tio.ScalarImage(tensor=image)}
    if labels is not None:
        subject["labels"] = tio.LabelMap(tensor=labels[None])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        out = transform(tio.Subject(**subject))
    return out["image"].data, None if labels is None else out["labels"].data[0]
