"""Is the teacher's whole-tumour mask plausible for a glioma? Checks that need no atlas.

A glioma's whole tumour is hyperintense on FLAIR (BraTS draws oedema and tumour on it): in the real
BraTS case and in every synthetic subject checked, at least half of the mask lies above the brain's
75th FLAIR percentile (the real case: 99%). Cerebrospinal fluid is dark on FLAIR and bright on T2, so
a mask that has found the ventricles or sulci is largely "CSF-like". A mask far outside the range of
tumour sizes the teacher was trained on (as a fraction of the brain) is suspect too. A mask that
fails a check gets no ring score and no probability from a crop cut around it.

Measured on the real BraTS case (its BraTS mask) and 12 synthetic subjects (their planted masks):
CSF-like fraction 0.00 and 0.00-0.16, FLAIR-bright fraction 0.99 and 0.51-1.00; a box over the real
case's ventricles and central grey matter: CSF-like 0.40, FLAIR-bright 0.24.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glioma_lib.core.nifti import load_volume, read_mask

MAX_CSF_LIKE = 0.3  # of the mask: dark on FLAIR (below the brain's median) and bright on T2 (above its median)
MIN_FLAIR_BRIGHT = 0.4  # of the mask: above the brain's 75th FLAIR percentile
RANGE_MARGIN = 2.0  # a brain fraction beyond this factor of the teacher's training range is implausible


def mask_measures(labels: np.ndarray, flair: np.ndarray, t2: np.ndarray) -> dict[str, float]:
    """The teacher mask's CSF-like and FLAIR-bright fractions and its share of the brain (non-zero
    FLAIR voxels), in the patient's own grid."""
    mask, brain = labels > 0, flair > 0
    if not mask.any() or not brain.any():
        return {"csf_like_fraction": np.nan, "flair_bright_fraction": np.nan, "brain_fraction": 0.0}
    inside_flair, inside_t2 = flair[brain], t2[brain]
    csf_like = (flair < np.median(inside_flair)) & (t2 > np.median(inside_t2))
    bright = flair > np.percentile(inside_flair, 75)
    return {"csf_like_fraction": float(csf_like[mask].mean()), "flair_bright_fraction": float(bright[mask].mean()),
            "brain_fraction": float(mask.sum() / brain.sum())}  # fmt: skip


def implausibility(measures: dict[str, float], training_range: list[float] | None) -> list[str]:
    """Why a (non-empty) mask is implausible for a glioma; empty when it passes every check."""
    reasons = []
    if measures["csf_like_fraction"] > MAX_CSF_LIKE:
        reasons.append(f"{measures['csf_like_fraction']:.0%} of the mask looks like cerebrospinal fluid (dark on "
                       "FLAIR, bright on T2: ventricles or sulci)")  # fmt: skip
    if measures["flair_bright_fraction"] < MIN_FLAIR_BRIGHT:
        reasons.append(f"only {measures['flair_bright_fraction']:.0%} of the mask is FLAIR-hyperintense, as oedema "
                       "and tumour are")  # fmt: skip
    if training_range is not None:
        low, high = training_range
        share = measures["brain_fraction"]
        if share > high * RANGE_MARGIN or share < low / RANGE_MARGIN:
            reasons.append(f"the mask is {share:.1%} of the brain, outside the {low:.1%}-{high:.1%} of the tumours "
                           "the teacher was trained on")  # fmt: skip
    return reasons


def training_range(manifest: pd.DataFrame, patients: list[str]) -> dict:
    """The smallest and largest whole-tumour share of the brain among ``patients`` (the teacher's
    training patients, from their ground-truth masks and FLAIR)."""
    rows = manifest.set_index("patient_id").loc[patients]
    shares = []
    for patient, row in rows.iterrows():
        labels = read_mask(row["path_seg"], patient)
        brain = np.asarray(load_volume(row["path_flair"], patient).dataobj) > 0
        shares.append(float((labels > 0).sum() / max(int(brain.sum()), 1)))
    return {"brain_fraction": [min(shares), max(shares)], "patients": len(shares)}
