"""Ring enhancement derived from a segmentation, in place of the paper's labels read by a person.

The tumour core is necrosis/non-enhancing core (label 1) plus enhancing tumour (label 3). A ring is
enhancing tissue forming the core's outer shell around a necrotic centre, so the score is

    score = (enhancing voxels on the core's boundary) / (core boundary voxels),
            set to 0 when the core's interior holds less than ``min_necrosis`` of label 1,

where the boundary is the core minus its one-voxel (6-connected) erosion and the interior is
that erosion. A solid enhancing blob has no necrotic interior (score 0); a non-enhancing tumour
has no enhancing boundary (score 0); a shell of enhancement around necrosis scores near 1.
A tumour is called ring-enhancing when its score reaches ``threshold``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_NECROSIS = 0.1


def ring_score(labels: np.ndarray, min_necrosis: float = DEFAULT_MIN_NECROSIS) -> float:
    """The ring-enhancement score of one internal-label mask (0 for a mask without tumour core)."""
    labels = np.asarray(labels)
    core = np.isin(labels, (1, 3))
    if not core.any():
        return 0.0
    interior = ndimage.binary_erosion(core, structure=ndimage.generate_binary_structure(3, 1))
    boundary = core & ~interior
    enhancing_boundary = float((labels[boundary] == 3).mean())
    necrotic_interior = float((labels[interior] == 1).mean()) if interior.any() else 0.0
    return enhancing_boundary if necrotic_interior >= min_necrosis else 0.0


def is_ring(labels: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
            min_necrosis: float = DEFAULT_MIN_NECROSIS) -> bool:
    """True when the ring score reaches ``threshold``."""
    return ring_score(labels, min_necrosis) >= threshold
