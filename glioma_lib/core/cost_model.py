"""How much memory and time a training or teacher job needs, from a small cost model.

**Memory**, measured on this project's CPU machine (2026-12-06, torch 2.13.0, fp32, batch of 4
four-channel volumes, peak resident set of two optimiser steps measured with ``/usr/bin/time``):

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

**Time** (``runtime`` of a cluster job, where the training runs on a GPU): a step costs about the
same per voxel of each volume it processes at every shape (the measured rates: 95 samples/s at
64^3 and 9.4 at 144^3, batch 4, fp32 eager MTL on an H200, the reference of the GPU issue: 2.5e7
and 2.8e7 voxel-samples/s; on this CPU, one thread, 2.4 samples/s at 32^3: 7.9e4). The CNN skips
the decoder (about 40% of an MTL step); scoring a volume is a forward pass (about a third of a
training sample). Each job also builds its input cache on the CPU (``CACHE_SECONDS``, per subject
and format, at the paper's volume size). The declared runtime is the estimate times
``RUNTIME_HEADROOM``, never under ``MIN_RUNTIME_MIN``: a cluster kills a job at its runtime, and
the reference GPU is faster than many.
"""

from __future__ import annotations

import math

BASE_MB = 500.0  # Python, torch and the model before any activation
# Activations per voxel of each volume in a step; the mean teacher is the CNN's network plus its
# averaged copy's forward pass without gradients (freed layer by layer).
KB_PER_VOXEL = {"mtl": 1.5, "cnn": 0.25, "mean_teacher": 0.3, "teacher": 1.5}
TRIAL_STATE_MB = 70.0  # one trial's parameters, gradients and Adam moments (4.0 M parameters x 16 bytes)
HEADROOM = 1.1  # declared = estimate x this
RADIOMICS_MB = 1000.0  # features and a logistic regression: no network
TEACHER_BATCH = 2  # whole-brain volumes per step of the weak-label teacher (weak_labels.teacher trains with it)

REFERENCE_SAMPLES_PER_S = {(64, 64, 64): 95.0, (144, 144, 144): 9.4}  # MTL, batch 4, H200 fp32 eager (see above)
GPU_VOXELS_PER_S = 2.5e7  # the same, per voxel (95 x 64^3 = 2.5e7; 9.4 x 144^3 = 2.8e7)
FORWARD_COST = 1 / 3  # scoring a volume, relative to training on it
# Relative to an MTL training sample; the mean teacher: a CNN sample and its teacher's forward pass.
STEP_COST = {"mtl": 1.0, "teacher": 1.0, "cnn": 0.6, "mean_teacher": 0.6 * (1 + FORWARD_COST)}
CACHE_SECONDS = 2.0  # preprocessing one subject into one format's cache entry (240x240x155 NIfTI, CPU)
RUNTIME_HEADROOM = 3.0
MIN_RUNTIME_MIN = 30


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


def job_runtime_min(model: str, shape: tuple[int, ...] | list[int], trained: float, scored: float,
                    subjects: int, voxels_per_s: float = GPU_VOXELS_PER_S) -> int:
    """Minutes to declare for a job that trains on ``trained`` volumes and scores ``scored`` (at
    ``shape``), after caching ``subjects`` subjects.

    Args:
        model: ``mtl``, ``cnn``, ``mean_teacher``, ``teacher`` or ``radiomics`` (no network: the cache
            and features only).
        trained: volumes passed through a training step, summed over trials and updates.
        scored: volumes scored without gradients (evaluations, embeddings, weak masks).
        subjects: subjects whose cache entry the job may build.
        voxels_per_s: the device's MTL training rate, in voxel-samples per second.

    Example:
        Ten paper trials at 144^3: 56,000 volumes x 3.0e6 voxels / 2.5e7 per s = 1.9 h, declared 3x:

        >>> job_runtime_min("mtl", [144] * 3, trained=10 * 1400 * 4, scored=0, subjects=0)
        335
    """
    seconds = subjects * CACHE_SECONDS
    if model != "radiomics":
        work = STEP_COST[model] * (trained + FORWARD_COST * scored) * math.prod(shape)
        seconds += work / voxels_per_s
    return max(MIN_RUNTIME_MIN, int(math.ceil(seconds * RUNTIME_HEADROOM / 60)))
