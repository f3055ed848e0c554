"""The memory cost model: what jobs declare, and how many batched trials fit a cap."""

from __future__ import annotations

import numpy as np

from glioma_lib.core.cost_model import job_memory_mb, trials_per_group


def test_the_estimate_covers_the_measured_peaks_without_doubling_them():
    """Measured here (2026-12-06, fp32 CPU, batch 4): MTL 17.9 GB at 144^3, 2.07 GB at 64^3; CNN
    0.73 GB at 64^3. The declared figure must cover each, and not by more than half again."""
    for model, shape, measured in [("mtl", 144, 17_900), ("mtl", 64, 2_070), ("cnn", 64, 730)]:
        declared = job_memory_mb(model, [shape] * 3, 4)
        assert measured <= declared <= 1.5 * measured, (model, shape, declared)


def test_two_paper_size_mtl_trainings_never_fit_a_24_gb_machine_together():
    one = job_memory_mb("mtl", [144] * 3, 4)
    assert one <= 24_000 < 2 * one


def test_groups_hold_as_many_trials_as_the_cap_allows_and_never_none():
    per_job = job_memory_mb("mtl", [64] * 3, 4)
    assert trials_per_group("mtl", [64] * 3, 4, 80_000) > trials_per_group("mtl", [144] * 3, 4, 80_000) >= 1
    assert trials_per_group("mtl", [144] * 3, 4, 1_000) == 1  # one trial is never split
    assert trials_per_group("mtl", [64] * 3, 4, per_job) == 1


def test_runtime_follows_the_work_with_headroom_and_a_floor():
    from glioma_lib.core.cost_model import GPU_VOXELS_PER_S, MIN_RUNTIME_MIN, RUNTIME_HEADROOM, job_runtime_min

    trained = 10 * 1400 * 4  # ten paper trials of 1400 updates at batch 4
    seconds = trained * 144**3 / GPU_VOXELS_PER_S
    assert job_runtime_min("mtl", [144] * 3, trained, 0, 0) == int(np.ceil(seconds * RUNTIME_HEADROOM / 60)) == 335
    assert job_runtime_min("cnn", [144] * 3, trained, 0, 0) < 335 < job_runtime_min("mtl", [144] * 3, trained, 3e4, 0)
    assert job_runtime_min("mtl", [64] * 3, trained, 0, 0) < 335 / 10  # runtime ~ voxels: floor
    assert job_runtime_min("mtl", [16] * 3, 10, 0, 0) == MIN_RUNTIME_MIN
    assert job_runtime_min("radiomics", [64] * 3, trained, 0, 3000) == int(np.ceil(3000 * 2.0 * 3 / 60))  # cache only
