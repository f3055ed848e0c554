"""Joint augmentation with torchio: one spatial transform for image and mask, intensity on images only.

Flips act on the three spatial axes of torchio's (C, X, Y, Z) tensors, never the channel axis
(the original code's flips could misalign image and mask). Each item's randomness is seeded from
(seed, epoch, index), so a run is reproducible and a resumed run draws the same augmentations.

On a GPU the arithmetic moves to the device: the loader only reads the cache and records what
torchio draws for each item (:func:`drawn_augmentation`: the flipped axes, the noise's mean, std
and seed, read from torchio's own history of a 2^3 probe), and :func:`augment_batch` applies
those draws to the batch tensor wherever it lives. On the CPU that gives torchio's output exactly
(tested); on a GPU the noise comes from the device's generator, with the same distribution.
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


PROBE_SHAPE = (1, 2, 2, 2)  # torchio draws the same numbers whatever the image: a probe is enough


def drawn_augmentation(transform: tio.Compose, seed: int) -> dict[str, torch.Tensor]:
    """What ``transform`` draws with ``seed`` (as :func:`augment` would), as tensors a loader can
    collate: ``flip`` (3 bools, spatial axes), ``noise`` (mean, std; zeros when none), ``noise_seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        probe = transform(tio.Subject(image=tio.ScalarImage(tensor=torch.zeros(PROBE_SHAPE))))
    draws = {"flip": torch.zeros(3, dtype=torch.bool), "noise": torch.zeros(2, dtype=torch.float64),
             "noise_seed": torch.tensor(-1)}  # fmt: skip
    for applied in probe.history:
        arguments = applied._get_named_arguments()
        if isinstance(applied, tio.Flip):
            draws["flip"][list(applied.axes)] = True
        elif isinstance(applied, tio.Noise):
            draws["noise"] = torch.tensor([arguments["mean"]["image"], arguments["std"]["image"]], dtype=torch.float64)
            draws["noise_seed"] = torch.tensor(arguments["seed"]["image"])
        else:
            raise ValueError(f"the device path cannot apply torchio's {applied.name}")
    return draws


def augment_batch(batch: dict) -> dict:
    """Apply the draws a loader recorded (:func:`drawn_augmentation`) to a batch, on its device:
    each item's image and segmentation target flipped along the same axes, then noise on the image.
    A batch without draws is returned as it is."""
    if "flip" not in batch:
        return batch
    images, targets = batch["image"].clone(), batch["target"].clone()
    # the draws read once per batch (three small copies), not item by item from the device
    flips, draws, seeds = batch["flip"].tolist(), batch["noise"].tolist(), batch["noise_seed"].tolist()
    for i in range(len(images)):
        axes = [axis for axis, flipped in enumerate(flips[i]) if flipped]
        if axes:
            images[i] = images[i].flip([a + 1 for a in axes])  # after the channel axis
            targets[i] = targets[i].flip(axes)
        seed = seeds[i]
        if seed >= 0:
            mean, std = draws[i]
            generator = torch.Generator(device=images.device).manual_seed(seed)
            noise = torch.randn(images[i].shape, generator=generator, device=images.device)
            images[i] = images[i] + (noise * std + mean)
    return {**batch, "image": images, "target": targets}


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
