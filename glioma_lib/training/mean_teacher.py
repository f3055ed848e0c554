"""The mean teacher (Tarvainen & Valpola, NeurIPS 2017): the semi-supervised baseline that MTL's
use of unlabelled scans is compared with.

The student is the CNN's network (encoder and classification branch, no decoder). Its teacher, here
the *averaged model* (not to be confused with the weak-label teacher of ``weak_labels``), is a copy
whose weights follow the student's as an exponential moving average after every update. Besides the
classification loss on labelled patients, the student is trained to agree with the averaged model's
class probabilities on every scan of its batch, the unlabelled ones included (the same batches and
unlabelled pool as MTL): the mean squared difference of the two softmaxes, its weight ramped up with
``exp(-5 (1 - t)^2)``. The two models see each scan differently: the student the training
augmentation, the averaged model the same flips with its own input noise, and each its own dropout.
The averaged model is the one scored and kept (usually the better of the two).
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from glioma_lib.config.schema import MeanTeacherSettings

EMA_INPUT_NOISE_STD = 0.05  # the averaged model's input noise: the training augmentation's largest noise


def averaged_copy(student: nn.Module) -> nn.Module:
    """The averaged model (Tarvainen's teacher) at the start: a copy of the freshly initialised
    student, never trained by gradients."""
    averaged = copy.deepcopy(student)
    for parameter in averaged.parameters():
        parameter.requires_grad_(False)
    return averaged


def decay_at(update: int, decay: float) -> float:
    """The averaging decay after update ``update`` (0-based): ``min(1 - 1 / (update + 2), decay)``, so
    that early on the teacher is close to the mean of the student's weights so far (Tarvainen's
    schedule, counting updates from 1)."""
    return min(1.0 - 1.0 / (update + 2), decay)


@torch.no_grad()
def ema_update(teacher: nn.Module, student: nn.Module, decay: float) -> None:
    """``teacher = decay * teacher + (1 - decay) * student``, parameter by parameter (buffers, such
    as batch-norm statistics, are the teacher's own: it runs in training mode)."""
    for mean, current in zip(teacher.parameters(), student.parameters(), strict=True):
        mean.mul_(decay).add_(current.detach(), alpha=1.0 - decay)


def consistency_weight(update: int, updates: int, settings: MeanTeacherSettings) -> float:
    """The consistency term's weight at update ``update``: ramped up over ``consistency_rampup`` of
    the ``updates`` with ``exp(-5 (1 - t)^2)``, then constant."""
    rampup = settings.consistency_rampup * updates
    if update >= rampup:
        return settings.consistency_weight
    t = update / rampup
    return settings.consistency_weight * math.exp(-5.0 * (1.0 - t) ** 2)


def consistency_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the two models' class probabilities, over scans and classes."""
    return F.mse_loss(torch.softmax(student_logits.float(), dim=1), torch.softmax(teacher_logits.float(), dim=1))


def ema_view(images: torch.Tensor) -> torch.Tensor:
    """The averaged model's input: the student's (augmented) images with independent Gaussian noise, drawn
    from torch's stream (seeded per stretch of updates, so a resumed trial draws the same)."""
    noise = torch.randn(images.shape, device=images.device, dtype=torch.float32)
    return images + (EMA_INPUT_NOISE_STD * noise).to(images.dtype)
