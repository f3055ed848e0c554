"""The ring-enhancement score on shapes with known answers and on the planted cohort."""

from __future__ import annotations

import numpy as np

from glioma_lib.analyses.ring import is_ring, ring_score


def _sphere(shape=(30, 30, 30), radius=10.0):
    grid = np.indices(shape) - (np.array(shape) // 2)[:, None, None, None]
    return np.sqrt((grid**2).sum(0)) < radius, np.sqrt((grid**2).sum(0))


def test_shell_of_enhancement_around_necrosis_scores_high():
    core, distance = _sphere()
    labels = np.zeros(core.shape, np.uint8)
    labels[core] = 3
    labels[distance < 7] = 1
    assert ring_score(labels) > 0.95 and is_ring(labels)


def test_solid_enhancing_blob_scores_low():
    core, _ = _sphere()
    labels = np.where(core, 3, 0).astype(np.uint8)
    assert ring_score(labels) == 0 and not is_ring(labels)


def test_non_enhancing_tumour_scores_low():
    core, distance = _sphere()
    labels = np.where(core, 1, 0).astype(np.uint8)
    labels[(distance >= 10) & (distance < 13)] = 2  # oedema around it changes nothing
    assert ring_score(labels) == 0


def test_patchy_enhancement_scores_below_a_ring():
    core, _ = _sphere()
    labels = np.where(core, 1, 0).astype(np.uint8)
    rng = np.random.default_rng(0)
    labels[core & (rng.random(core.shape) < 0.15)] = 3
    assert ring_score(labels) < 0.3 and not is_ring(labels)


def test_empty_mask_scores_zero():
    assert ring_score(np.zeros((5, 5, 5), np.uint8)) == 0


def test_agrees_with_the_planted_ring_flag(phantom_dir):
    import pandas as pd

    from glioma_lib.core.nifti import read_mask

    truth = pd.read_csv(phantom_dir / "truth.csv").dropna(subset=["brats_id"])
    derived = [is_ring(read_mask(phantom_dir / "truth_masks" / f"{b}_seg.nii.gz", b)) for b in truth["brats_id"]]
    assert np.mean(np.array(derived) == truth["ring_enhancing"].to_numpy()) >= 0.9
