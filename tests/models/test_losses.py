"""Eq. 1 on hand-computed cases, including batches with no labelled patient."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glioma_lib.models.losses import balanced_class_weights, enet_class_weights, multitask_loss

ONES2 = torch.ones(2)
ONES4 = torch.ones(4)


def test_classification_only_matches_hand_computation():
    logits = torch.tensor([[0.0, math.log(3)], [0.0, 0.0]])
    labels = torch.tensor([1, -1])  # second patient unlabelled: contributes nothing
    parts = multitask_loss(logits, labels, ONES2)
    assert parts.classification.item() == pytest.approx(-math.log(0.75))
    assert parts.segmentation.item() == 0


def test_all_unlabelled_batch_is_finite_zero_with_gradient_path():
    logits = torch.randn(3, 2, requires_grad=True)
    parts = multitask_loss(logits, torch.full((3,), -1), ONES2)
    assert parts.total.item() == 0 and torch.isfinite(parts.total)
    parts.total.backward()
    assert torch.all(logits.grad == 0)


def test_softmax_is_applied_once():
    logits = torch.tensor([[2.0, -1.0]])
    parts = multitask_loss(logits, torch.tensor([0]), ONES2)
    assert parts.classification.item() == pytest.approx(F.cross_entropy(logits, torch.tensor([0])).item())
    double = F.cross_entropy(torch.softmax(logits, 1), torch.tensor([0])).item()
    assert parts.classification.item() != pytest.approx(double)


def test_ground_truth_segmentation_is_weighted_cross_entropy_with_ignore():
    seg = torch.randn(1, 2, 2, 2, 2)
    target = torch.tensor([[[[0, 1], [1, -1]], [[0, 0], [-1, 1]]]])
    weights = torch.tensor([0.5, 2.0])
    parts = multitask_loss(torch.zeros(1, 2), torch.tensor([-1]), ONES2, seg, target, torch.tensor([0]), weights, ONES2)
    expected = F.cross_entropy(seg, target, weight=weights, ignore_index=-1)
    assert parts.segmentation.item() == pytest.approx(expected.item(), rel=1e-5)


def test_weak_masks_use_summed_tumour_probability():
    seg = torch.randn(1, 4, 1, 1, 2)
    target = torch.tensor([[[[0, 1]]]])
    parts = multitask_loss(torch.zeros(1, 2), torch.tensor([-1]), ONES2, seg, target, torch.tensor([1]), ONES4, ONES2)
    p = torch.softmax(seg, 1)[0, :, 0, 0]
    expected = -(torch.log(p[0, 0]) + torch.log(p[1:, 1].sum())) / 2
    assert parts.segmentation.item() == pytest.approx(expected.item(), rel=1e-5)


def test_lambda_selects_term_per_sample_and_none_contributes_nothing():
    seg = torch.randn(3, 2, 2, 2, 2)
    target = torch.randint(0, 2, (3, 2, 2, 2))
    kinds = torch.tensor([0, 1, 2])  # gt, weak, none
    both = multitask_loss(torch.zeros(3, 2), torch.full((3,), -1), ONES2, seg, target, kinds, ONES2, ONES2)
    gt = F.cross_entropy(seg[:1], target[:1])
    weak = F.cross_entropy(seg[1:2], target[1:2])
    assert both.segmentation.item() == pytest.approx(((gt + weak) / 2).item(), rel=1e-5)
    nothing = multitask_loss(torch.zeros(3, 2), torch.full((3,), -1), ONES2, seg, target, torch.full((3,), 2), ONES2,
                             ONES2)  # fmt: skip
    assert nothing.total.item() == 0 and torch.isfinite(nothing.total)


def test_sample_whose_voxels_are_all_ignored_is_finite():
    seg = torch.randn(1, 2, 2, 2, 2)
    parts = multitask_loss(torch.zeros(1, 2), torch.tensor([-1]), ONES2, seg, torch.full((1, 2, 2, 2), -1),
                           torch.tensor([0]), ONES2, ONES2)  # fmt: skip
    assert torch.isfinite(parts.total) and parts.total.item() == 0


def test_class_weights():
    np.testing.assert_allclose(balanced_class_weights(np.array([0, 0, 0, 1, -1])), [4 / 6, 4 / 2])
    weights = enet_class_weights(np.array([90, 10]))
    assert weights[1] > weights[0] and np.isclose(weights[0], 1 / np.log(1.02 + 0.9))
