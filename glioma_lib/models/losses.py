"""The multi-task loss of the paper's Eq. 1, per sample:

    L = L_C + lambda * L_S,gt + (1 - lambda) * L_S,weak,   lambda = 1 with a ground-truth mask, else 0.

Softmax is applied once, inside the cross-entropies, on raw logits (the original applied it
twice). L_C is zero for patients without the label, and a batch without any labelled patient or
any mask contributes an exact, finite zero rather than the NaN of a mean over nothing.
Weak masks are binary whole-tumour masks; a four-class head is scored on them through its
summed tumour probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from glioma_lib.inputs.dataset import TARGET_KINDS
from glioma_lib.inputs.formats import IGNORE

GT, WEAK = TARGET_KINDS["gt"], TARGET_KINDS["weak"]


def enet_class_weights(counts: np.ndarray, c: float = 1.02) -> torch.Tensor:
    """ESPNet's class weights from class frequencies: 1 / log(c + frequency)."""
    freq = np.asarray(counts, dtype=float) / max(1.0, float(np.sum(counts)))
    return torch.tensor(1.0 / np.log(c + freq), dtype=torch.float32)


def balanced_class_weights(labels: np.ndarray, n_classes: int = 2) -> torch.Tensor:
    """Inverse-frequency weights n / (k * n_c) over the known labels (missing ones, -1, ignored)."""
    labels = np.asarray(labels)
    counts = np.bincount(labels[labels >= 0], minlength=n_classes).astype(float)
    weights = counts.sum() / (n_classes * np.maximum(counts, 1.0))
    return torch.tensor(weights, dtype=torch.float32)


def _weighted_voxel_loss(log_probs: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Per-sample weighted cross-entropy over non-ignored voxels; 0 for a sample with none."""
    losses = F.nll_loss(log_probs, target.clamp(min=0), weight=weight, reduction="none")
    voxel_weight = weight[target.clamp(min=0)] * (target != IGNORE)
    per_sample_loss = (losses * (target != IGNORE)).flatten(1).sum(1)
    return per_sample_loss / voxel_weight.flatten(1).sum(1).clamp(min=1e-8)


@dataclass
class LossParts:
    total: torch.Tensor
    classification: torch.Tensor
    segmentation: torch.Tensor
    consistency: torch.Tensor | None = None  # the mean teacher's (training.mean_teacher), weighted into total


def multitask_loss(
    logits: torch.Tensor, labels: torch.Tensor, class_weights: torch.Tensor,
    seg_logits: torch.Tensor | None = None, target: torch.Tensor | None = None,
    target_kind: torch.Tensor | None = None, seg_weights: torch.Tensor | None = None,
    weak_weights: torch.Tensor | None = None,
) -> LossParts:
    """Eq. 1 averaged over the batch: L_C over labelled samples, L_S over samples with a mask."""
    zero = logits.sum() * 0.0  # finite, and keeps every parameter in the graph
    target = None if target is None else target.long()  # loaders deliver int8 targets
    labelled = labels >= 0
    classification = (F.cross_entropy(logits[labelled], labels[labelled], weight=class_weights.to(logits.device))
                      if labelled.any() else zero)  # fmt: skip
    segmentation = zero
    if seg_logits is not None and target is not None and ((target_kind == GT) | (target_kind == WEAK)).any():
        log_probs = F.log_softmax(seg_logits.float(), dim=1)
        per_sample = torch.zeros(len(seg_logits), device=seg_logits.device)
        gt = target_kind == GT
        if gt.any():
            per_sample[gt] = _weighted_voxel_loss(log_probs[gt], target[gt], seg_weights.to(log_probs.device))
        weak = target_kind == WEAK
        if weak.any():
            weak_log_probs = log_probs[weak]
            if weak_log_probs.shape[1] > 2:  # four classes -> background vs summed tumour
                weak_log_probs = torch.stack(
                    [weak_log_probs[:, 0], torch.logsumexp(weak_log_probs[:, 1:], dim=1)], dim=1)
            per_sample[weak] = _weighted_voxel_loss(weak_log_probs, target[weak], weak_weights.to(log_probs.device))
        has_mask = gt | weak
        segmentation = per_sample[has_mask].mean()  # lambda selects the gt or weak term per sample
    return LossParts(classification + segmentation, classification, segmentation)
