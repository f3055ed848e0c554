"""Augmentation keeps image and mask aligned."""

from __future__ import annotations

import torch

from glioma_lib.inputs.augment import augment, training_augmentation


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
