"""Radiomics features: pyradiomics' own values, in the mask a cropped format uses, cached by content."""

from __future__ import annotations

import logging

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.inputs import radiomics


def _volume(path, array: np.ndarray) -> str:
    nib.save(nib.Nifti1Image(array, np.diag([1.0, 1.0, 1.0, 1.0])), path)
    return str(path)


@pytest.fixture
def scan(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.normal(100, 20, (20, 18, 16)).astype(np.float32)
    mask = np.zeros((20, 18, 16), np.uint8)
    mask[5:14, 4:12, 3:11] = 2  # oedema
    mask[7:11, 6:10, 5:9] = 4  # enhancing (BraTS 2018 labels)
    image[mask > 0] += rng.normal(40, 10, int((mask > 0).sum()))
    return _volume(tmp_path / "p_t1ce.nii.gz", image), _volume(tmp_path / "p_seg.nii.gz", mask)


def test_features_are_pyradiomics_own_on_the_files(scan):
    """The library reading the same files with the same settings gives the same numbers."""
    import SimpleITK as sitk
    from radiomics import featureextractor

    image_path, mask_path = scan
    ours = radiomics.extract(image_path, mask_path, "p")
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    extractor = featureextractor.RadiomicsFeatureExtractor(normalize=True, binWidth=0.25, label=1)
    extractor.disableAllFeatures()
    for name in radiomics.EXTRACTION["features"]:
        extractor.enableFeatureClassByName(name)
    whole_tumour = sitk.Cast(sitk.ReadImage(mask_path) > 0, sitk.sitkUInt8)
    theirs = {k: float(v) for k, v in extractor.execute(sitk.ReadImage(image_path), whole_tumour).items()
              if not k.startswith("diagnostics")}  # fmt: skip
    assert ours.keys() == theirs.keys() and len(ours) > 80
    np.testing.assert_allclose([ours[k] for k in sorted(ours)], [theirs[k] for k in sorted(ours)], rtol=1e-6)


def test_features_use_the_formats_mask_and_are_cached_by_its_content(scan, tmp_path):
    image_path, mask_path = scan
    layout = RunLayout(tmp_path / "run")
    manifest = pd.DataFrame({"patient_id": ["gt", "weak", "none"], "has_mr": True,
                             "path_t1ce": image_path, "path_seg": [mask_path, None, None]})  # fmt: skip
    layout.weak_masks.mkdir(parents=True)
    weak = nib.load(mask_path).get_fdata().astype(np.uint8)
    weak[weak == 2] = 0  # the teacher found only the core
    _volume(weak_mask_file(layout.weak_masks, "weak"), weak)
    table, missing = radiomics.radiomics_table(layout, manifest, ("t1ce",), show_progress=False)
    only, _ = radiomics.radiomics_table(layout, manifest, ("t1ce",), ["gt"], show_progress=False)
    assert list(only.index) == ["gt"]
    assert list(table.index) == ["gt", "weak"] and missing.to_dict() == {"none": radiomics.NO_MASK}
    assert table.loc["gt", "t1ce_original_shape_VoxelVolume"] > table.loc["weak", "t1ce_original_shape_VoxelVolume"]
    files = sorted(layout.radiomics.iterdir())
    assert len(files) == 2
    weak[6:12, 5:11, 4:10] = 4  # a retrained teacher finds more enhancing tumour
    _volume(weak_mask_file(layout.weak_masks, "weak"), weak)
    radiomics.radiomics_table(layout, manifest, ("t1ce",), show_progress=False)
    assert len(list(layout.radiomics.iterdir())) == 3  # new mask content, new file; the ground truth's is reused


def test_the_subtraction_format_uses_both_of_its_modalities():
    assert radiomics.radiomics_modalities(("t1ce_minus_t1",)) == ("t1", "t1ce")
    assert radiomics.radiomics_modalities(("t1", "t1ce", "t2", "flair")) == ("t1", "t1ce", "t2", "flair")


def test_the_real_case_gives_finite_features_measuring_its_own_tumour(realdata):
    """The one real BraTS 2018 scan, in its own mask: every feature finite, and the shape volume
    the mask's whole tumour in mm^3 (1 mm voxels)."""
    from glioma_lib.core.nifti import read_mask

    folder = realdata / "brats_mr" / "Brats18_TCIA12_101_1"
    image, mask = (str(folder / f"Brats18_TCIA12_101_1_{name}.nii.gz") for name in ("t1ce", "seg"))
    features = radiomics.extract(image, mask, "Brats18_TCIA12_101_1")
    assert len(features) > 80 and all(np.isfinite(v) for v in features.values())
    whole_tumour = int((read_mask(mask, "Brats18_TCIA12_101_1") > 0).sum())
    assert features["original_shape_VoxelVolume"] == whole_tumour
