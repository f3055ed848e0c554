"""BraTS folders in every naming, the checks a scan must pass, and the BraTS tables."""

from __future__ import annotations

import gzip
import shutil
from dataclasses import replace
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from glioma_lib.cohort import brats
from glioma_lib.core import nifti
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import MODALITIES

REAL_CASE = "Brats18_TCIA12_101_1"


@pytest.fixture
def brats_copy(phantom_dir, tmp_path):
    """A writable copy of the phantom's BraTS folder and one subject with a mask."""
    root = tmp_path / "brats"
    shutil.copytree(phantom_dir / "brats", root)
    subject = next(p.parent.name for p in sorted(root.glob("*/*_seg.nii.gz")))
    return root, subject


def _validate(root, subject):
    brats.validate_subject(subject, brats.subject_paths(subject, root / subject))


def _renamed_subject(source: Path, folder: Path, subject: str, naming: str) -> None:
    """Copy a phantom subject into ``folder`` under another subject name and file naming."""
    folder.mkdir(parents=True)
    old = source.name
    for image in (*MODALITIES, "seg"):
        path = source / f"{brats.image_stem(old, image)}.nii.gz"
        if path.exists():
            shutil.copyfile(path, folder / f"{brats.image_stem(subject, image, naming)}.nii.gz")


def _resaved(path: Path, affine: np.ndarray | None = None, offset: float = 0.0) -> None:
    image = nib.load(path)
    nib.save(nib.Nifti1Image(np.asarray(image.dataobj) + offset, image.affine if affine is None else affine), path)


def test_brats_tables(realdata):
    mapping = brats.read_name_mapping(realdata / "brats_tcga_mapping/name_mapping.csv")
    assert len(mapping) == 285 and mapping["tcga_id"].notna().sum() == 167
    survival, _ = brats.read_brats_survival(realdata / "brats_tcga_mapping/survival_data.csv")
    assert len(survival) == 259
    alive = survival.set_index("brats2019_id").loc["BraTS19_CBICA_BFB_1"]
    assert (alive["os_days"], alive["os_event"]) == (361.0, 0.0)


@pytest.mark.parametrize("cell, expected", [
    ("289", (289.0, 1.0)), ("ALIVE (1029 days later)", (1029.0, 0.0)), ("", (np.nan, np.nan)), (None, (np.nan, np.nan)),
])  # fmt: skip
def test_parse_brats_survival(cell, expected):
    np.testing.assert_equal(brats.parse_brats_survival(cell), expected)


def test_real_subject_reads_in_internal_labels(realdata):
    folder = realdata / "brats_mr" / REAL_CASE
    paths = brats.subject_paths(REAL_CASE, folder)
    brats.validate_subject(REAL_CASE, paths)
    mask = nifti.read_mask(paths["seg"], REAL_CASE)
    assert set(np.unique(mask)) <= {0, 1, 2, 3} and (mask == 3).any()


def test_missing_modality(brats_copy):
    root, subject = brats_copy
    (root / subject / f"{subject}_t2.nii.gz").unlink()
    with pytest.raises(InputDataError, match=rf"missing t2.*{subject}.*_t2\.nii\.gz"):
        _validate(root, subject)


def test_truncated_nifti(brats_copy):
    root, subject = brats_copy
    path = root / subject / f"{subject}_flair.nii.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputDataError, match=rf"unreadable.*{subject}.*flair"):
        _validate(root, subject)


def test_not_gzip_at_all(brats_copy):
    root, subject = brats_copy
    (root / subject / f"{subject}_t1.nii.gz").write_bytes(gzip.compress(b"not a nifti"))
    with pytest.raises(InputDataError, match="unreadable"):
        _validate(root, subject)


def test_shape_mismatch(brats_copy):
    root, subject = brats_copy
    path = root / subject / f"{subject}_t1ce.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((10, 10, 10), np.int16), np.eye(4)), path)
    with pytest.raises(InputDataError, match=rf"shape.*{subject}.*t1ce"):
        _validate(root, subject)


def test_affine_mismatch(brats_copy):
    root, subject = brats_copy
    path = root / subject / f"{subject}_t2.nii.gz"
    image = nib.load(path)
    nib.save(nib.Nifti1Image(np.asarray(image.dataobj), image.affine * 2), path)
    with pytest.raises(InputDataError, match=rf"affine.*{subject}.*t2"):
        _validate(root, subject)


def test_mask_labels_outside_convention(brats_copy):
    root, subject = brats_copy
    path = root / subject / f"{subject}_seg.nii.gz"
    image = nib.load(path)
    labels = np.asarray(image.dataobj).copy()
    labels[0, 0, 0] = 7
    nib.save(nib.Nifti1Image(labels, image.affine), path)
    with pytest.raises(InputDataError, match=rf"labels.*7.*{subject}.*seg"):
        _validate(root, subject)


def test_duplicate_subject_ids(brats_copy):
    root, subject = brats_copy
    (root / "HGG").mkdir()
    (root / "LGG").mkdir()
    shutil.copytree(root / subject, root / "HGG" / subject)
    shutil.move(root / subject, root / "LGG" / subject)
    with pytest.raises(InputDataError, match=rf"duplicate.*{subject}"):
        brats.find_brats_subjects(root)


def test_hgg_lgg_layout_is_found(brats_copy):
    root, subject = brats_copy
    (root / "LGG").mkdir()
    shutil.move(root / subject, root / "LGG" / subject)
    assert brats.find_brats_subjects(root)[subject] == root / "LGG" / subject


def test_a_trailing_singleton_axis_is_squeezed_and_a_real_4d_file_refused(brats_copy):
    from glioma_lib.inputs.formats import FORMATS
    from glioma_lib.inputs.preprocess import PreprocessSpec, preprocess

    root, subject = brats_copy
    path = root / subject / f"{subject}_flair.nii.gz"
    image = nib.load(path)
    volume = np.asarray(image.dataobj)
    nib.save(nib.Nifti1Image(volume[..., None], image.affine, image.header), path)  # (X, Y, Z, 1)
    _validate(root, subject)
    paths = {k: str(v) for k, v in brats.subject_paths(subject, root / subject).items() if k != "seg"}
    squeezed, _, _ = preprocess(paths, None, FORMATS["all_whole"], PreprocessSpec(shape=(8, 8, 8)), subject)
    assert squeezed.shape == (4, 8, 8, 8)
    nib.save(nib.Nifti1Image(np.stack([volume, volume], axis=-1), image.affine), path)  # two time points
    with pytest.raises(InputDataError, match=rf"expected a 3D volume.*{subject}.*flair"):
        _validate(root, subject)


@pytest.mark.parametrize(("fill", "message"), [(np.nan, "NaN or infinite voxels"), (0.0, "t2 image is all zero")])
def test_nan_voxels_and_an_all_zero_modality_are_refused_at_build_time(brats_copy, fill, message):
    root, subject = brats_copy
    path = root / subject / f"{subject}_t2.nii.gz"
    image = nib.load(path)
    data = np.asarray(image.dataobj, dtype=np.float32)
    data[...] = 0.0 if fill == 0 else data
    if fill != 0:
        data[0, 0, 0] = fill
    nib.save(nib.Nifti1Image(data, image.affine), path)
    with pytest.raises(InputDataError, match=rf"{message}.*patient {subject}, file .*_t2\.nii\.gz"):
        _validate(root, subject)


def test_uncompressed_nifti_subjects_are_found_and_read(brats_copy):
    root, subject = brats_copy
    for path in sorted((root / subject).glob("*.nii.gz")):
        nib.save(nib.load(path), path.with_name(path.name.removesuffix(".gz")))
        path.unlink()
    assert brats.find_brats_subjects(root)[subject] == root / subject
    paths = brats.subject_paths(subject, root / subject)
    assert paths["t1"].name == f"{subject}_t1.nii" and paths["seg"].name == f"{subject}_seg.nii"
    _validate(root, subject)
    nib.save(nib.load(paths["t1"]), root / subject / f"{subject}_t1.nii.gz")  # the same image twice
    with pytest.raises(InputDataError, match=rf"both a .nii.gz and a .nii file.*patient {subject}"):
        brats.subject_paths(subject, root / subject)


def test_brats_2023_names_are_found_and_read(brats_copy, tmp_path):
    root, subject = brats_copy
    other = tmp_path / "brats2023"
    _renamed_subject(root / subject, other / "BraTS-GLI-00001-000", "BraTS-GLI-00001-000", "BraTS 2023")
    found = brats.find_brats_subjects(other)
    assert list(found) == ["BraTS-GLI-00001-000"]
    paths = brats.subject_paths("BraTS-GLI-00001-000", found["BraTS-GLI-00001-000"])
    assert paths["t1ce"].name == "BraTS-GLI-00001-000-t1c.nii.gz" and paths["seg"] is not None
    brats.validate_subject("BraTS-GLI-00001-000", paths)


def test_brats_toolkit_names_are_found_and_read(brats_copy, tmp_path):
    """BraTS Toolkit / BrainLes preprocessing output: `<id>_t1_bet`, `_t1c_bet`, `_t2_bet`, `_fla_bet`."""
    root, subject = brats_copy
    other = tmp_path / "toolkit"
    _renamed_subject(root / subject, other / "TCGA-FG-6692", "TCGA-FG-6692", "BraTS Toolkit")
    found = brats.find_brats_subjects(other)
    assert list(found) == ["TCGA-FG-6692"] and brats.subject_naming("TCGA-FG-6692", found["TCGA-FG-6692"]) == (
        "BraTS Toolkit")
    paths = brats.subject_paths("TCGA-FG-6692", found["TCGA-FG-6692"])
    assert [paths[m].name for m in MODALITIES] == [
        "TCGA-FG-6692_t1_bet.nii.gz", "TCGA-FG-6692_t1c_bet.nii.gz", "TCGA-FG-6692_t2_bet.nii.gz",
        "TCGA-FG-6692_fla_bet.nii.gz"]  # fmt: skip
    brats.validate_subject("TCGA-FG-6692", paths)


def test_tcga_barcode_folders_link_to_their_clinical_row_without_a_mapping(phantom_dir, phantom_manifest, tmp_path):
    """A TCIA-style folder (`TCGA-XX-XXXX/TCGA-XX-XXXX_t1.nii.gz`), given with clinical data but no
    name mapping and no SCNA, is the labelled patient it names, not an unlabelled scan."""
    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    labelled = phantom_manifest[phantom_manifest["has_mr"] & phantom_manifest["tcga_id"].notna()
                                & phantom_manifest["subtype"].notna()].iloc[0]  # fmt: skip
    source = Path(labelled["path_t1"]).parent
    brats = tmp_path / "tcia"
    _renamed_subject(source, brats / labelled["tcga_id"], labelled["tcga_id"], "BraTS 2018-2021")
    sources = CohortSources(clinical=phantom_dir / "tcga/clinical.csv", brats_root=brats, spacing_mm=None)
    manifest, _ = build_manifest(sources, validation_fraction=0.0)
    row = manifest.set_index("patient_id").loc[labelled["tcga_id"]]
    assert row["has_mr"] and row["subtype"] == labelled["subtype"] and row["split"] == "train"
    assert row["mr_naming"] == "BraTS 2018-2021"


def test_a_cohort_without_mr_is_built_from_its_tables_and_an_empty_or_wrong_brats_folder_stops(phantom_dir, tmp_path):
    """SCNA and clinical tables alone make a cohort (split among the patients with SCNA); a BraTS
    folder that is empty, holds no subject, or does not exist stops with the folder named."""
    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    sources = CohortSources(clinical=phantom_dir / "tcga/clinical.csv",
                            scna_genes=phantom_dir / "tcga/scna_thresholded_by_genes.tsv")  # fmt: skip
    manifest, _ = build_manifest(sources, split_requires=("scna",))
    assert len(manifest) > 0 and not manifest["has_mr"].any() and manifest["has_scna"].all()
    assert set(manifest["split"]) == {"train", "validation", "scna_only"}  # scna_only: SCNA without labels
    assert set(build_manifest(sources)[0]["split"]) == {"scna_only"}  # an MR split: nobody qualifies
    empty, unrelated = tmp_path / "brats", tmp_path / "downloads"
    empty.mkdir()
    (unrelated / "notes").mkdir(parents=True)
    for folder, message in [(empty, "no BraTS subject"), (unrelated, "no BraTS subject"),
                            (tmp_path / "nowhere", "BraTS folder not found")]:  # fmt: skip
        with pytest.raises(InputDataError, match=rf"{message}.*file {folder}"):
            build_manifest(replace(sources, brats_root=folder))


def test_a_scan_that_is_not_skull_stripped_is_refused_at_build_time(brats_copy):
    """Preprocessing takes the non-zero voxels as the brain: a non-zero background would make the
    brain box the whole field of view and shift every intensity, so it stops here, named."""
    root, subject = brats_copy
    path = root / subject / f"{subject}_flair.nii.gz"
    image = nib.load(path)
    data = np.asarray(image.dataobj) + 5  # background no longer zero
    nib.save(nib.Nifti1Image(data, image.affine), path)
    with pytest.raises(InputDataError, match=rf"not skull-stripped.*patient {subject}, file .*_flair\.nii\.gz"):
        _validate(root, subject)


def test_a_subject_that_cannot_be_linked_is_reported_not_silently_unlabelled(brats_copy, phantom_dir):
    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    root, subject = brats_copy
    _renamed_subject(root / subject, root / "scan_0042", "scan_0042", "BraTS 2018-2021")
    sources = CohortSources(clinical=phantom_dir / "tcga/clinical.csv", name_mapping=root / "name_mapping.csv",
                            brats_root=root, spacing_mm=None)  # fmt: skip
    manifest, report = build_manifest(sources)
    assert manifest.set_index("patient_id").loc["scan_0042", "split"] == "unlabelled_mr"
    line = report.set_index("patient").loc["scan_0042"]
    assert "not in the name mapping" in line["reason"] and line["source"].endswith("scan_0042")


def test_voxels_far_from_1_mm_are_refused_or_accepted_knowingly(brats_copy):
    """BraTS scans are 1 mm isotropic; the phantom's are not, so as a 'real' cohort it is refused,
    with the flag it is read and each file is listed."""
    root, subject = brats_copy
    paths = brats.subject_paths(subject, root / subject)
    with pytest.raises(InputDataError, match=rf"voxel size .* not about 1.0 mm.*BrainLes.*accept_unusual_geometry"
                                             rf".*patient {subject}, file .*_t1\.nii\.gz"):  # fmt: skip
        brats.validate_subject(subject, paths, expected_spacing=1.0)
    check = brats.validate_subject(subject, paths, expected_spacing=1.0, accept_unusual_geometry=True)
    assert [Path(i.source).name for i in check.accepted] == [paths[m].name for m in MODALITIES]
    assert all(i.patient == subject and "voxel size" in i.value for i in check.accepted)
    assert brats.validate_subject(subject, paths).accepted == []  # the phantom's own spacing: not checked


def test_a_scan_that_is_not_skull_stripped_can_be_accepted_and_is_then_reported(brats_copy, phantom_dir):
    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    root, subject = brats_copy
    _resaved(root / subject / f"{subject}_flair.nii.gz", offset=5)
    sources = replace(CohortSources.phantom(phantom_dir), brats_root=root)
    with pytest.raises(InputDataError, match=rf"not skull-stripped.*patient {subject}"):
        build_manifest(sources)
    _, report = build_manifest(sources, accept_unusual_geometry=True)
    line = report[report["field"] == "mr_geometry"].set_index("patient").loc[subject]
    assert "not skull-stripped" in line["value"] and line["source"].endswith("_flair.nii.gz")


def test_a_subject_in_another_orientation_is_refused_naming_the_reference_subject(brats_copy, phantom_dir):
    """Crops and flips work in voxel space: one subject stored with flipped axes would not match."""
    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    root, _ = brats_copy
    subjects = sorted(p.name for p in root.iterdir() if p.is_dir())
    first, flipped = subjects[0], subjects[-1]
    for path in (root / flipped).glob("*.nii.gz"):
        affine = nib.load(path).affine.copy()
        affine[:, 0] *= -1  # the first axis now runs the other way
        _resaved(path, affine)
    sources = replace(CohortSources.phantom(phantom_dir), brats_root=root)
    with pytest.raises(InputDataError, match=rf"orientation LAS differs from RAS of {first}.*patient {flipped}, "
                                             rf"file .*{flipped}_t1\.nii\.gz"):  # fmt: skip
        build_manifest(sources)
    manifest, report = build_manifest(sources, accept_unusual_geometry=True)
    assert manifest.set_index("brats_id").loc[flipped, "has_mr"]
    assert "orientation LAS" in report.set_index("patient").loc[flipped, "value"]
