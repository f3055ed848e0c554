"""Augmentation keeps image and mask aligned."""

from __future__ import annotations

import pytest
import torch

from glioma_lib.inputs.augment import augment, augment_batch, drawn_augmentation, training_augmentation


def test_flips_keep_image_and_mask_aligned():
    image = torch.zeros(2, 10, 12, 14)
    labels = torch.zeros(10, 12, 14, dtype=torch.uint8)
    image[0, 1:3, 2:5, 9:13] = 5.0  # an asymmetric block in channel 0 only
    image[1] = 7.0  # channel 1 constant: a channel flip would move it
    labels[1:3, 2:5, 9:13] = 1
    transform = training_augmentation(noise_std=0)
    seen = set()
    for seed in range(12):
        out_image, out_labels = augment(image, labels, transform, seed)
        assert torch.equal(out_image[0] == 5.0, out_labels == 1)
        assert torch.all(out_image[1] == 7.0)
        seen.add(tuple(torch.nonzero(out_labels)[0].tolist()))
    assert len(seen) > 1  # flips actually happened
    a = augment(image, labels, training_augmentation(), 3)
    b = augment(image, labels, training_augmentation(), 3)
    assert torch.equal(a[0], b[0])  # reproducible under a seed, noise included


def _planted() -> tuple[torch.Tensor, torch.Tensor]:
    image = torch.zeros(2, 10, 12, 14)
    labels = torch.zeros(10, 12, 14, dtype=torch.uint8)
    image[0, 1:3, 2:5, 9:13] = 5.0  # an asymmetric block in channel 0 only
    image[1] = 7.0
    labels[1:3, 2:5, 9:13] = 1
    return image, labels


def test_the_device_path_draws_torchios_flips_and_noise_and_on_the_cpu_gives_its_output():
    """The loader records torchio's draws; augment_batch applies them to a batch tensor. On the CPU
    the result is torchio's, image and mask, for every seed (same flips, same noise)."""
    image, labels = _planted()
    transform = training_augmentation()
    seeds = range(40)
    draws = [drawn_augmentation(transform, s) for s in seeds]
    batch = {"image": image.expand(len(seeds), -1, -1, -1, -1), "target": labels.expand(len(seeds), -1, -1, -1),
             **{key: torch.stack([d[key] for d in draws]) for key in draws[0]}}  # fmt: skip
    out = augment_batch(batch)
    flipped = set()
    for i, seed in enumerate(seeds):
        reference_image, reference_labels = augment(image, labels, transform, seed)
        torch.testing.assert_close(out["image"][i], reference_image)
        assert torch.equal(out["target"][i], reference_labels)
        assert torch.equal(out["image"][i, 0] > 2.5, out["target"][i] == 1)  # image and mask still aligned
        flipped.add(tuple(batch["flip"][i].tolist()))
    assert len(flipped) == 8 and (batch["noise_seed"] >= 0).any() and (batch["noise_seed"] < 0).any()
    assert augment_batch({"image": image[None]})["image"] is not None  # a batch without draws passes as it is


def test_a_loader_that_only_reads_the_cache_gives_the_batches_of_the_torchio_loader(tmp_path):
    """``augment_on_device``: items carry the draws and ``batch_on_device`` applies them, giving the same
    batches as the loader that augments with torchio (on the CPU)."""
    import numpy as np
    import pandas as pd

    from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader
    from glioma_lib.inputs.formats import FORMATS
    from glioma_lib.training.loop import batch_on_device

    image, labels = _planted()
    rows = []
    for i in range(4):
        folder = tmp_path / f"p{i}"
        folder.mkdir()
        np.save(folder / "image.npy", image[:1].roll(i, dims=1).numpy())
        np.save(folder / "labels.npy", labels.roll(i, dims=0).numpy())
        rows.append({"patient_id": f"p{i}", "entry": str(folder), "mask_kind": "gt"})
    index = pd.DataFrame(rows)
    ids = pd.Series(0, index=index["patient_id"])
    batches = []
    for on_device in (False, True):
        dataset = MultiTaskDataset(index, FORMATS["t1ce"], ids, transform=training_augmentation(), seed=5,
                                   augment_on_device=on_device)  # fmt: skip
        batches.append(batch_on_device(next(iter(make_loader(dataset, 4, shuffle=False))), torch.device("cpu"), False))
    torch.testing.assert_close(batches[1]["image"], batches[0]["image"])
    assert torch.equal(batches[1]["target"], batches[0]["target"])


@pytest.mark.cuda
def test_on_a_gpu_the_flips_are_torchios_and_the_noise_has_the_drawn_mean_and_spread():
    """On a GPU the noise comes from the device's generator: the flips (image and mask) are
    torchio's, and each noised item's noise has the mean and standard deviation torchio drew."""
    image, labels = _planted()
    transform = training_augmentation(noise_std=0.5)  # large enough to measure on 3,360 voxels
    seeds = range(40)
    draws = [drawn_augmentation(transform, s) for s in seeds]
    batch = {"image": image.expand(len(seeds), -1, -1, -1, -1).cuda(),
             "target": labels.expand(len(seeds), -1, -1, -1).cuda(),
             **{key: torch.stack([d[key] for d in draws]).cuda() for key in draws[0]}}  # fmt: skip
    out = {key: value.cpu() for key, value in augment_batch(batch).items()}
    noised = 0
    for i, seed in enumerate(seeds):
        _, reference_labels = augment(image, labels, transform, seed)
        assert torch.equal(out["target"][i], reference_labels)
        axes = [a + 1 for a, flipped in enumerate(draws[i]["flip"].tolist()) if flipped]
        noise = out["image"][i] - (image.flip(axes) if axes else image)
        mean, std = draws[i]["noise"].tolist()
        if draws[i]["noise_seed"] < 0:
            assert torch.equal(noise, torch.zeros_like(noise))
        elif std > 0.05:
            noised += 1
            assert abs(noise.mean().item() - mean) < 5 * std / noise.numel() ** 0.5
            assert noise.std().item() == pytest.approx(std, rel=0.1)
    assert noised > 5
