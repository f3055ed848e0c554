"""The memory cost model: what jobs declare, and how many batched trials fit a cap."""

from __future__ import annotations

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
