"""The seven MR input formats of the paper's Table I and their segmentation targets.

Targets follow the paper: four classes for four-channel input; the tumour core (labels 1 and
enhancing vs the rest, oedema ignored) for T1, T1ce and the subtraction map, where oedema is
barely visible; the whole tumour for T2 and FLAIR, where oedema is bright.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IGNORE = -1  # target value the loss skips


@dataclass(frozen=True)
class InputFormat:
    name: str
    channels: tuple[str, ...]  # channel order, fixed and recorded in every cache entry
    cropped: bool
    target: str  # "four_class" | "tumour_core" | "whole_tumour"

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def n_seg_classes(self) -> int:
        return 4 if self.target == "four_class" else 2


FORMATS = {
    "all_whole": InputFormat("all_whole", ("t1", "t1ce", "t2", "flair"), False, "four_class"),
    "all_cropped": InputFormat("all_cropped", ("t1", "t1ce", "t2", "flair"), True, "four_class"),
    "t1ce": InputFormat("t1ce", ("t1ce",), True, "tumour_core"),
    "flair": InputFormat("flair", ("flair",), True, "whole_tumour"),
    "t1": InputFormat("t1", ("t1",), True, "tumour_core"),
    "t2": InputFormat("t2", ("t2",), True, "whole_tumour"),
    "t1ce_minus_t1": InputFormat("t1ce_minus_t1", ("t1ce_minus_t1",), True, "tumour_core"),
}


def get_format(name: str) -> InputFormat:
    if name not in FORMATS:
        raise ValueError(f"unknown input format {name!r}; expected one of {list(FORMATS)}")
    return FORMATS[name]


def segmentation_target(labels: np.ndarray, fmt: InputFormat, kind: str) -> np.ndarray:
    """The format's target from internal labels (0..3), as int8 (the loss widens it on the device,
    so the loader moves an eighth of the bytes of int64).

    ``kind`` is "gt" (labels hold 0..3) or "weak" (labels hold the teacher's 4-class argmax).
    For four-class formats a weak target is the binary whole tumour (the paper's weak masks),
    which the loss compares with the summed tumour probability; for single-modality formats the
    weak target follows the same rule as ground truth, applied to the teacher's labels.
    """
    labels = np.asarray(labels)
    if fmt.target == "whole_tumour" or (kind == "weak" and fmt.target == "four_class"):
        return (labels > 0).astype(np.int8)
    if fmt.target == "four_class":
        return labels.astype(np.int8)
    target = np.isin(labels, (1, 3)).astype(np.int8)  # tumour core
    target[labels == 2] = IGNORE  # oedema: not the task's business
    return target
