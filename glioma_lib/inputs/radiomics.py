"""Handcrafted radiomics features (pyradiomics, IBSI-compliant) inside each patient's tumour mask.

The mask is the one a cropped format is cut around (``inputs.cache.mask_source``): the ground
truth where the patient has one, else the teacher's weak mask; features describe the whole
tumour (every label > 0) of one modality on the scan's own grid, the image z-scored by
pyradiomics (``normalize``) and discretised with a fixed bin width, as its documentation
recommends. A patient without a usable mask has no features, and says why.

Features are cached per patient, modality and mask content: a retrained teacher (new weak
masks) or another extraction setting gives new files, never a stale one.

Example:
    >>> table, missing = radiomics_table(layout, manifest, ("t1ce",))  # doctest: +SKIP
    >>> table.filter(like="t1ce_original_glcm").shape[1] > 10  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import json
import logging

import pandas as pd
from tqdm import tqdm

from glioma_lib.core.atomic import write_json
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.nifti import load_volume, read_mask
from glioma_lib.inputs.cache import content_digest, mask_source

# What the extraction depends on besides the image and the mask: part of every cached file's key.
EXTRACTION = {"normalize": True, "binWidth": 0.25, "label": 1, "features": ["firstorder", "shape", "glcm", "glrlm",
                                                                            "glszm"]}  # fmt: skip
NO_MASK = "no tumour mask (no ground truth and no non-empty weak mask)"


def _extractor():
    """pyradiomics' extractor with :data:`EXTRACTION`'s settings (imported here: it is slow to import)."""
    from radiomics import featureextractor

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    settings = {k: v for k, v in EXTRACTION.items() if k != "features"}
    extractor = featureextractor.RadiomicsFeatureExtractor(**settings)
    extractor.disableAllFeatures()
    for name in EXTRACTION["features"]:
        extractor.enableFeatureClassByName(name)
    return extractor


def feature_key(image: str, mask: str) -> str:
    """A hash of the extraction settings and the image's and mask's content."""
    fields = {"extraction": EXTRACTION, "image": content_digest(image), "mask": content_digest(mask)}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def extract(image_path: str, mask_path: str, patient: str, extractor=None) -> dict[str, float]:
    """The features of one modality inside the whole-tumour mask (empty dict: an empty mask)."""
    import SimpleITK as sitk

    volume = load_volume(image_path, patient)
    mask = read_mask(mask_path, patient)  # checks the labels and the file, naming the patient
    if not mask.any():
        return {}
    if mask.shape != volume.shape[:3]:
        raise InputDataError(f"mask shape {mask.shape} differs from the image's {volume.shape[:3]}", patient,
                             mask_path)  # fmt: skip
    # Both read as pyradiomics reads them (SimpleITK, the scans' own geometry): its numbers, unchanged.
    image = sitk.ReadImage(str(image_path))
    label = sitk.Cast(sitk.ReadImage(str(mask_path)) > 0, sitk.sitkUInt8)
    label.CopyInformation(image)
    result = (extractor or _extractor()).execute(image, label)
    return {name: float(value) for name, value in result.items() if not name.startswith("diagnostics")}


def radiomics_table(layout: RunLayout, manifest: pd.DataFrame, modalities: tuple[str, ...],
                    patients: list[str] | None = None, show_progress: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """Patients x features (``<modality>_<feature>``) of the MR patients (or of ``patients``) with a
    tumour mask, and for the others why they have none. Cached under ``derived/radiomics``."""
    weak_dir = layout.weak_masks if layout.weak_masks.exists() else None
    layout.radiomics.mkdir(parents=True, exist_ok=True)
    extractor, rows, missing = None, {}, {}
    mr = manifest[manifest["has_mr"] & (manifest["patient_id"].isin(patients) if patients is not None else True)]
    for _, row in tqdm(mr.iterrows(), total=len(mr), desc="radiomics features", disable=not show_progress):
        patient = str(row["patient_id"])
        mask_path, _ = mask_source(row, weak_dir)
        if mask_path is None:
            missing[patient] = NO_MASK
            continue
        features = {}
        for modality in modalities:
            image_path = str(row[f"path_{modality}"])
            cached = layout.radiomics_features(patient, modality, feature_key(image_path, mask_path))
            if not cached.exists():
                extractor = extractor or _extractor()
                write_json(extract(image_path, mask_path, patient, extractor), cached)
            features.update({f"{modality}_{k}": v for k, v in json.loads(cached.read_text()).items()})
        if features:
            rows[patient] = features
        else:
            missing[patient] = "empty tumour mask"
    table = pd.DataFrame.from_dict(rows, orient="index").sort_index(axis=1)
    return table, pd.Series(missing, name="reason", dtype=object)


def radiomics_modalities(channels: tuple[str, ...]) -> tuple[str, ...]:
    """The modalities whose features a format's radiomics arm uses: its own, and for the subtraction
    map the two it is made of."""
    return ("t1", "t1ce") if channels == ("t1ce_minus_t1",) else channels

