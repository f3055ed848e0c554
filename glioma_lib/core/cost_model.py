"""How much memory a training or teacher job needs, from a small cost model measured on this
project's CPU machine (2026-12-06, torch 2.13.0, fp32, batch of 4 four-channel volumes, peak
resident set of two optimiser steps measured with ``/usr/bin/time``):

=========  ======  ======  ======  ============================
model      32^3    48^3    64^3    144^3
=========  ======  ======  ======  ============================
MTL        0.84    1.47    2.07    17.9 GB (``glioma bench``)
CNN        0.60    0.63    0.73
=========  ======  ======  ======  ============================

Beyond Python, torch and the model (about 0.5 GB), the activations kept for the backward pass
grow with the voxels a step processes: about 1.5 kB per voxel per volume for the MTL model (its
decoder) and 0.25 kB for the encoder-only CNN at the larger shapes. On a GPU with bf16 the
figures are smaller; until a GPU has measured them, the CPU's serve as the (safe) estimate.
"""

from __future__ import annotations

import math

BASE_MB = 500.0  # Python, torch and the model before any activation
KB_PER_VOXEL = {"mtl": 1.5, "cnn": 0.25, "teacher": 1.5}  # activations per voxel of each volume in a step
TRIAL_STATE_MB = 70.0  # one trial's parameters, gradients and Adam moments (4.0 M parameters x 16 bytes)
HEADROOM = 1.1  # declared = estimate x this
RADIOMICS_MB = 1000.0  # features and a logistic regression: no network
TEACHER_BATCH = 2  # whole-brain volumes per step of the weak-label teacher (weak_labels.teacher trains with it)


def trial_memory_mb(model: str, shape: tuple[int, ...] | list[int], volumes: int) -> float:
    """Estimated memory of one trial's step (activations and optimiser state), in MB."""
    if model == "radiomics":
        return 0.0
    return KB_PER_VOXEL[model] * math.prod(shape) * volumes / 1024 + TRIAL_STATE_MB


def job_memory_mb(model: str, shape: tuple[int, ...] | list[int], volumes: int, trials_together: int = 1) -> int:
    """Memory to declare for a job that trains ``trials_together`` trials at once (a batched group)."""
    if model == "radiomics":
        return int(RADIOMICS_MB * HEADROOM)
    return int(math.ceil((BASE_MB + trials_together * trial_memory_mb(model, shape, volumes)) * HEADROOM))


def trials_per_group(model: str, shape: tuple[int, ...] | list[int], volumes: int, cap_mb: float) -> int:
    """How many trials fit together under ``cap_mb`` (at least one: a single trial is never split)."""
    room = cap_mb / HEADROOM - BASE_MB
    return max(1, int(room // trial_memory_mb(model, shape, volumes)))
