"""Input formats: channels, segmentation targets, and a real subject through every format."""

from __future__ import annotations

import numpy as np
import pytest

from glioma_lib.cohort.brats import subject_paths
from glioma_lib.core.nifti import read_mask
from glioma_lib.inputs import preprocess as pp
from glioma_lib.inputs.formats import FORMATS, IGNORE, segmentation_target

LABELS = np.array([0, 1, 2, 3])


@pytest.mark.parametrize("name, kind, expected", [
    ("all_whole", "gt", [0, 1, 2, 3]), ("all_cropped", "gt", [0, 1, 2, 3]),
    ("t1ce", "gt", [0, 1, IGNORE, 1]), ("t1", "gt", [0, 1, IGNORE, 1]), ("t1ce_minus_t1", "gt", [0, 1, IGNORE, 1]),
    ("t2", "gt", [0, 1, 1, 1]), ("flair", "gt", [0, 1, 1, 1]),
    ("all_cropped", "weak", [0, 1, 1, 1]), ("t1ce", "weak", [0, 1, IGNORE, 1]), ("flair", "weak", [0, 1, 1, 1]),
])  # fmt: skip
def test_segmentation_targets(name, kind, expected):
    np.testing.assert_array_equal(segmentation_target(LABELS, FORMATS[name], kind), expected)


def test_seg_classes_and_channels():
    assert FORMATS["all_whole"].n_seg_classes == 4 and FORMATS["all_whole"].n_channels == 4
    assert FORMATS["t1ce"].n_seg_classes == 2 and not FORMATS["all_whole"].cropped


def test_real_subject_through_every_format(realdata):
    case = "Brats18_TCIA12_101_1"
    paths = subject_paths(case, realdata / "brats_mr" / case)
    labels = read_mask(paths["seg"], case)
    for fmt in FORMATS.values():
        image, resized, record = pp.preprocess({k: str(v) for k, v in paths.items() if k != "seg"}, labels, fmt,
                                               pp.PreprocessSpec(shape=(24, 24, 24)), case)  # fmt: skip
        assert image.shape == (fmt.n_channels, 24, 24, 24) and np.isfinite(image).all()
        assert record["crop"] == ("tumour" if fmt.cropped else "brain")
        target = segmentation_target(resized, fmt, "gt")
        assert (target == 1).any() and set(np.unique(target)) <= {IGNORE, 0, 1, 2, 3}
        if fmt.cropped:  # the crop is the tumour box, so the tumour fills much of it
            assert (resized > 0).mean() > 0.1
