"""The simulator's anatomy: a grid over BraTS's field of view, and BraTS 2018 labels."""

from __future__ import annotations

import numpy as np

from glioma_lib.cohort.anatomy import (
    BRATS_FOV_MM,
    ENHANCING,
    NECROSIS,
    NON_ENHANCING,
    OEDEMA,
    grid_affine,
    to_brats_labels,
    voxel_world,
)


def test_the_grid_covers_the_brats_field_of_view_centred_on_the_origin():
    shape = (48, 48, 31)
    world = voxel_world(shape)
    spacing = np.diag(grid_affine(shape))[:3]
    np.testing.assert_allclose(world[:, -1, -1, -1] - world[:, 0, 0, 0] + spacing, BRATS_FOV_MM, rtol=1e-5)
    np.testing.assert_allclose(world.mean(axis=(1, 2, 3)), 0, atol=1e-3)


def test_compartments_map_to_brats_2018_labels():
    comp = np.array([0, NECROSIS, NON_ENHANCING, OEDEMA, ENHANCING])
    np.testing.assert_array_equal(to_brats_labels(comp), [0, 1, 1, 2, 4])
