"""From NIfTI to a network-ready volume: normalise, subtract, crop, resize.

Normalisation is per channel, inside the brain mask (voxels where any modality is non-zero, as
BraTS ships skull-stripped images): clip to the 0.5-99.5 percentiles, then z-score with that
channel's brain mean and standard deviation; outside the brain is 0. The original code's single
min-max over all channels let one modality's range squash the others.

The subtraction map is T1ce minus T1 *after* each is normalised, so scanner scale cancels and
enhancement shows as positive values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import MODALITIES
from glioma_lib.core.nifti import load_volume
from glioma_lib.inputs.formats import InputFormat

NORMALISATION_VERSION = "zscore-p0.5-99.5-v1"
# The cache stores normalised intensities as float16: half the disk and reads of float32, and every
# value within FLOAT16_TOLERANCE of it (relative: half a float16 unit in the last place, 2^-11; below
# float16's normal range, 6e-5, within 1e-7 absolute). The z-scores lie within about +-10, where
# float16 keeps 3 decimal digits. Readers get float32 (tests/inputs/test_cache.py).
STORED_DTYPE = "float16"
FLOAT16_TOLERANCE = 2.0**-11


@dataclass(frozen=True)
class PreprocessSpec:
    """Every parameter that changes a preprocessed volume (all of them enter the cache key)."""

    shape: tuple[int, int, int]
    margin: int = 2  # voxels added around the tumour box before resizing
    empty_mask_policy: str = "error"  # or "centre": a centred crop, recorded in the run's report
    normalisation: str = NORMALISATION_VERSION
    stored_dtype: str = STORED_DTYPE  # how the cache stores the normalised image (readers get float32)

    def key_fields(self) -> dict:
        return asdict(self)


def normalise_channel(volume: np.ndarray, brain: np.ndarray) -> np.ndarray:
    """Percentile-clipped z-score inside the brain; zero outside."""
    values = volume[brain]
    if values.size == 0:
        return np.zeros_like(volume, dtype=np.float32)
    low, high = np.percentile(values, [0.5, 99.5])
    clipped = np.clip(values, low, high)
    std = clipped.std()
    out = np.zeros(volume.shape, dtype=np.float32)
    out[brain] = (clipped - clipped.mean()) / (std if std > 0 else 1.0)
    return out


def load_channels(paths: dict[str, str], channels: tuple[str, ...], patient: str) -> tuple[np.ndarray, np.ndarray]:
    """Normalised channels (C, X, Y, Z) in the format's order, and the brain mask.

    All four modalities are read, so the brain mask is the same whichever format asks.
    """
    raw = {}
    for modality in MODALITIES:
        try:
            raw[modality] = np.asarray(load_volume(paths[modality], patient).dataobj, dtype=np.float32)
        except InputDataError:
            raise
        except Exception as exc:
            raise InputDataError(f"cannot read {modality} ({exc})", patient, paths[modality]) from exc
    brain = np.logical_or.reduce([v != 0 for v in raw.values()])
    normalised = {m: normalise_channel(raw[m], brain) for m in MODALITIES if m in channels or
                  (m in ("t1", "t1ce") and "t1ce_minus_t1" in channels)}
    if "t1ce_minus_t1" in channels:
        normalised["t1ce_minus_t1"] = np.where(brain, normalised["t1ce"] - normalised["t1"], 0).astype(np.float32)
    return np.stack([normalised[c] for c in channels]), brain


def bounding_box(mask: np.ndarray, margin: int) -> tuple[slice, slice, slice]:
    """The box holding every non-zero voxel, grown by ``margin`` and clipped to the volume."""
    coords = np.argwhere(mask)
    low = np.maximum(coords.min(axis=0) - margin, 0)
    high = np.minimum(coords.max(axis=0) + 1 + margin, mask.shape)
    return tuple(slice(int(a), int(b)) for a, b in zip(low, high, strict=True))


def centred_box(shape: tuple[int, ...], fraction: float = 0.5) -> tuple[slice, slice, slice]:
    """A box of ``fraction`` of each axis, centred in the volume (the empty-mask fallback)."""
    sizes = [max(1, int(s * fraction)) for s in shape]
    return tuple(slice((s - n) // 2, (s - n) // 2 + n) for s, n in zip(shape, sizes, strict=True))


def resize(image: np.ndarray, shape: tuple[int, int, int], labels: bool = False) -> np.ndarray:
    """Resize (C, X, Y, Z) or (X, Y, Z) to ``shape``: trilinear for images, nearest for labels."""
    tensor = torch.from_numpy(np.ascontiguousarray(image))
    squeeze = tensor.ndim == 3
    tensor = tensor[None, None] if squeeze else tensor[None]
    if labels:
        out = F.interpolate(tensor.float(), size=shape, mode="nearest").to(torch.uint8)
    else:
        out = F.interpolate(tensor.float(), size=shape, mode="trilinear", align_corners=False)
    out = out[0, 0] if squeeze else out[0]
    return out.numpy()


def preprocess(
    paths: dict[str, str], labels: np.ndarray | None, fmt: InputFormat, spec: PreprocessSpec, patient: str,
    mask_path: str | None = None,
) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """Image (C, *shape) float32, resized labels (uint8) and a record of what was done.

    Cropped formats crop to the tumour box of ``labels``; whole-brain formats to the brain box.
    """
    image, brain = load_channels(paths, fmt.channels, patient)
    record = {"crop": "brain", "fallback": None}
    if fmt.cropped:
        if labels is None or not labels.any():
            if spec.empty_mask_policy != "centre":
                raise InputDataError("empty or missing tumour mask; a cropped format needs one", patient, mask_path)
            box = centred_box(brain.shape)
            record.update(crop="centre", fallback="empty mask: centred crop")
        else:
            box = bounding_box(labels > 0, spec.margin)
            record["crop"] = "tumour"
    else:
        box = bounding_box(brain, spec.margin) if brain.any() else centred_box(brain.shape, 1.0)
    record["box"] = [[s.start, s.stop] for s in box]
    cropped = image[(slice(None), *box)]
    out_labels = None if labels is None else resize(labels[box], spec.shape, labels=True)
    return resize(cropped, spec.shape).astype(np.float32), out_labels, record
