"""Readers on the shared real data, the label conventions, and every structural fault."""

from __future__ import annotations

import gzip
import shutil
from dataclasses import replace
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from glioma_lib.cohort import readers
from glioma_lib.core.errors import InputDataError

REAL_CASE = "Brats18_TCIA12_101_1"


def test_ceccarelli_reads_with_five_survival_issues(realdata):
    clinical, issues = readers.read_ceccarelli(realdata / "tcga_clinical/ceccarelli2016_table_s1a.csv")
    assert len(clinical) == 1122
    survival_issues = [i for i in issues if i.field == "os_days"]
    assert sorted(i.patient for i in survival_issues) == [
        "TCGA-P5-A5ET", "TCGA-P5-A5EU", "TCGA-QH-A6CU", "TCGA-QH-A6CW", "TCGA-QH-A6CX"]
    assert clinical.set_index("tcga_id").loc["TCGA-P5-A5ET", "os_days"] is np.nan or pd.isna(
        clinical.set_index("tcga_id").loc["TCGA-P5-A5ET", "os_days"])
    assert clinical["subtype"].value_counts().to_dict() == {
        "IDH-wildtype": 520, "IDH-mutant 1p/19q-intact": 283, "1p/19q-codeleted": 171}


def test_brats_tables(realdata):
    mapping = readers.read_name_mapping(realdata / "brats_tcga_mapping/name_mapping.csv")
    assert len(mapping) == 285 and mapping["tcga_id"].notna().sum() == 167
    survival, _ = readers.read_brats_survival(realdata / "brats_tcga_mapping/survival_data.csv")
    assert len(survival) == 259
    alive = survival.set_index("brats2019_id").loc["BraTS19_CBICA_BFB_1"]
    assert (alive["os_days"], alive["os_event"]) == (361.0, 0.0)


@pytest.mark.parametrize("cell, expected", [
    ("289", (289.0, 1.0)), ("ALIVE (1029 days later)", (1029.0, 0.0)), ("", (np.nan, np.nan)), (None, (np.nan, np.nan)),
])  # fmt: skip
def test_parse_brats_survival(cell, expected):
    np.testing.assert_equal(readers.parse_brats_survival(cell), expected)


def test_arm_tables(realdata):
    arms = readers.read_arm_table(realdata / "tcga_scna_arm/arm_level_scna_786.csv")
    assert arms.shape == (786, 40) and arms.abs().max().max() <= 1
    clinical = readers.read_scna_clinical_786(realdata / "tcga_scna_arm/clinical_786.csv")
    assert set(clinical["subtype"]) == {"IDH-wildtype", "IDH-mutant 1p/19q-intact", "1p/19q-codeleted"}
    gene_map = readers.read_gene_to_arm(realdata / "tcga_scna_arm/gene_to_arm_23109.csv")
    assert len(gene_map) == 23109 and gene_map["CDKN2A"] == "9p"


def test_genes_to_arms_is_the_signed_mean():
    genes = pd.DataFrame({"A": [-2, 0], "B": [-1, 1], "C": [2, 2]}, index=["p1", "p2"])
    arms = readers.genes_to_arms(genes, pd.Series({"A": "1p", "B": "1p", "C": "7p", "Z": "9p"}))
    assert arms.loc["p1", "1p"] == -1.0 and arms.loc["p2", "1p"] == 0.5 and arms.loc["p1", "7p"] == 1.0


def test_real_subject_reads_in_internal_labels(realdata):
    folder = realdata / "brats_mr" / REAL_CASE
    paths = readers.subject_paths(REAL_CASE, folder)
    readers.validate_subject(REAL_CASE, paths)
    mask = readers.read_mask(paths["seg"], REAL_CASE)
    assert set(np.unique(mask)) <= {0, 1, 2, 3} and (mask == 3).any()


def test_brats2021_convention_is_normalised(tmp_path):
    labels = np.zeros((4, 4, 4), np.uint8)
    labels[0, 0, 0], labels[1, 1, 1], labels[2, 2, 2] = 1, 2, 3
    nib.save(nib.Nifti1Image(labels, np.eye(4)), tmp_path / "m.nii.gz")
    np.testing.assert_array_equal(readers.read_mask(tmp_path / "m.nii.gz", "p"), labels)
    np.testing.assert_array_equal(readers.to_brats2018_labels(labels)[2, 2, 2], 4)


def test_xena_non_numeric_cell_names_sample_and_file(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("Gene Symbol\tTCGA-AA-0001-01\tTCGA-AA-0002-01\nEGFR\t0\t1\nPTEN\tfoo\t0\n")
    with pytest.raises(InputDataError, match=r"TCGA-AA-0001-01.*x\.tsv"):
        readers.read_xena_gistic(path)


def test_xena_keeps_primary_tumour_and_maps_to_patients(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("Gene Symbol\tTCGA-AA-0001-01\tTCGA-AA-0001-11\nEGFR|chr7\t2\t0\n")
    table = readers.read_xena_gistic(path)
    assert table.loc["TCGA-AA-0001", "EGFR"] == 2 and len(table) == 1


def test_bad_clinical_values_are_reported_not_used(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"Case": ["TCGA-1", "TCGA-2", "TCGA-3"], "Grade": ["G2", "G9", "G4"],
                  "Age (years at diagnosis)": [40, -3, 50], "Survival (months)": [10, -1, "x"],
                  "Vital status (1=dead)": [1, 0, 1], "IDH status": ["WT", "maybe", "Mutant"],
                  "1p/19q codeletion": ["non-codel", "codel", "codel"]}).to_csv(path, index=False)  # fmt: skip
    clinical, issues = readers.read_ceccarelli(path)
    fields = {(i.patient, i.field) for i in issues}
    assert {("TCGA-2", "grade"), ("TCGA-2", "age"), ("TCGA-2", "os_days"), ("TCGA-2", "idh"),
            ("TCGA-3", "os_days")} <= fields  # fmt: skip
    row = clinical.set_index("tcga_id").loc["TCGA-2"]
    assert pd.isna(row["os_days"]) and pd.isna(row["idh_mutant"]) and pd.isna(row["grade"])
    assert clinical.set_index("tcga_id").loc["TCGA-1", "os_days"] == pytest.approx(304.375)


# ---------------------------------------------------------------- structural faults in BraTS folders


@pytest.fixture
def brats_copy(phantom_dir, tmp_path):
    """A writable copy of the phantom's BraTS folder and one subject with a mask."""
    root = tmp_path / "brats"
    shutil.copytree(phantom_dir / "brats", root)
    subject = next(p.parent.name for p in sorted(root.glob("*/*_seg.nii.gz")))
    return root, subject


def _validate(root, subject):
    readers.validate_subject(subject, readers.subject_paths(subject, root / subject))


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
        readers.find_brats_subjects(root)


def test_hgg_lgg_layout_is_found(brats_copy):
    root, subject = brats_copy
    (root / "LGG").mkdir()
    shutil.move(root / subject, root / "LGG" / subject)
    assert readers.find_brats_subjects(root)[subject] == root / "LGG" / subject


def test_a_trailing_singleton_axis_is_squeezed_and_a_real_4d_file_refused(brats_copy):
    from glioma_lib.inputs.formats import FORMATS
    from glioma_lib.inputs.preprocess import PreprocessSpec, preprocess

    root, subject = brats_copy
    path = root / subject / f"{subject}_flair.nii.gz"
    image = nib.load(path)
    volume = np.asarray(image.dataobj)
    nib.save(nib.Nifti1Image(volume[..., None], image.affine, image.header), path)  # (X, Y, Z, 1)
    _validate(root, subject)
    paths = {k: str(v) for k, v in readers.subject_paths(subject, root / subject).items() if k != "seg"}
    squeezed, _, _ = preprocess(paths, None, FORMATS["all_whole"], PreprocessSpec(shape=(8, 8, 8)), subject)
    assert squeezed.shape == (4, 8, 8, 8)
    nib.save(nib.Nifti1Image(np.stack([volume, volume], axis=-1), image.affine), path)  # two time points
    with pytest.raises(InputDataError, match=rf"expected a 3D volume.*{subject}.*flair"):
        _validate(root, subject)


def test_arm_tables_are_read_by_content_whatever_the_separator(realdata, tmp_path):
    original = readers.read_arm_table(realdata / "tcga_scna_arm/arm_level_scna_786.csv")
    table = pd.read_csv(realdata / "tcga_scna_arm/arm_level_scna_786.csv", index_col=0)
    table.to_csv(tmp_path / "arms.csv.txt", sep="\t")  # tab-separated under a misleading name
    table.to_csv(tmp_path / "arms_semicolon.csv", sep=";")
    for name in ("arms.csv.txt", "arms_semicolon.csv"):
        pd.testing.assert_frame_equal(readers.read_arm_table(tmp_path / name), original)


def test_a_table_without_usable_columns_or_required_ones_names_the_file(tmp_path):
    (tmp_path / "one_column.csv").write_text("patient\nTCGA-01-0001\nTCGA-01-0002\n")
    with pytest.raises(InputDataError, match=r"no usable columns.*one_column\.csv"):
        readers.read_arm_table(tmp_path / "one_column.csv")
    (tmp_path / "clinical.tsv").write_text("Case\tGrade\nTCGA-01-0001\tG2\n")
    with pytest.raises(InputDataError, match=r"clinical table lacks the columns \['Age.*found \['Case', 'Grade'\]"):
        readers.read_ceccarelli(tmp_path / "clinical.tsv")
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(InputDataError, match=r"book\.xlsx"):
        readers.read_ceccarelli(tmp_path / "book.xlsx")


def test_unknown_who_subtype_names_are_listed(realdata, tmp_path):
    table = pd.read_csv(realdata / "tcga_scna_arm/clinical_786.csv", index_col=0)
    table.iloc[0, table.columns.get_loc("WHO_2021_Subtype")] = "Astrocytoma, IDH-mutant"
    table.to_csv(tmp_path / "clinical.csv")
    with pytest.raises(InputDataError, match=rf"unknown WHO 2021 subtype names \['Astrocytoma, IDH-mutant'\].*"
                                             rf"patient {table.index[0]}"):
        readers.read_scna_clinical_786(tmp_path / "clinical.csv")


def test_a_patient_with_primary_and_recurrent_samples_keeps_the_primary(tmp_path):
    (tmp_path / "arms.tsv").write_text("sample\t1p\t19q\nTCGA-02-0001-02\t0.5\t0.5\nTCGA-02-0001-01\t-1\t-1\n"
                                       "TCGA-02-0002-01\t0\t0\n")  # fmt: skip
    table = readers.read_arm_table(tmp_path / "arms.tsv")
    assert table.index.tolist() == ["TCGA-02-0001", "TCGA-02-0002"] and table.index.is_unique
    assert table.loc["TCGA-02-0001", "1p"] == -1  # the primary tumour (-01), not the recurrence (-02)
    (tmp_path / "twice.tsv").write_text("sample\t1p\nTCGA-02-0001-01\t0\nTCGA-02-0001-01\t1\n")
    with pytest.raises(InputDataError, match="same sample appears twice.*patient TCGA-02-0001-01"):
        readers.read_arm_table(tmp_path / "twice.tsv")


def test_values_inside_a_readable_clinical_table_never_vanish_silently(tmp_path):
    """A survival of 1e9, a repeated header line, a non-numeric age or vital status: each is set
    missing (or dropped) with a line in the curation report; a duplicated column is refused."""
    header = "Case,Grade,Age (years at diagnosis),Survival (months),Vital status (1=dead),IDH status,1p/19q codeletion"
    rows = ["TCGA-1,G2,40,1000000000,1,WT,non-codel", header, "TCGA-2,G3,forty,12,alive,Mutant,codel",
            "TCGA-3,G4,50,20,1,WT,non-codel"]  # fmt: skip
    (tmp_path / "c.csv").write_text("\n".join([header, *rows]) + "\n")
    clinical, issues = readers.read_ceccarelli(tmp_path / "c.csv")
    reasons = {(i.patient, i.field): i.reason for i in issues}
    assert clinical["tcga_id"].tolist() == ["TCGA-1", "TCGA-2", "TCGA-3"]  # the header line is no patient "Case"
    assert reasons[("row 3", "row")] == "a repeated header line, dropped"
    assert "survival > 600 months" in reasons[("TCGA-1", "os_days")]
    assert reasons[("TCGA-2", "age")] == "non-numeric age"
    assert "non-numeric vital status" in reasons[("TCGA-2", "os_event")]
    by_id = clinical.set_index("tcga_id")
    assert pd.isna(by_id.loc["TCGA-1", "os_days"]) and pd.isna(by_id.loc["TCGA-2", "os_days"])
    assert by_id.loc["TCGA-3", "os_days"] == pytest.approx(20 * readers.DAYS_PER_MONTH)
    (tmp_path / "twice.csv").write_text(header + ",Grade\nTCGA-1,G2,40,10,1,WT,non-codel,G4\n")
    with pytest.raises(InputDataError, match="has the column 'Grade' twice.*twice\\.csv"):
        readers.read_ceccarelli(tmp_path / "twice.csv")


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
    assert readers.find_brats_subjects(root)[subject] == root / subject
    paths = readers.subject_paths(subject, root / subject)
    assert paths["t1"].name == f"{subject}_t1.nii" and paths["seg"].name == f"{subject}_seg.nii"
    _validate(root, subject)
    nib.save(nib.load(paths["t1"]), root / subject / f"{subject}_t1.nii.gz")  # the same image twice
    with pytest.raises(InputDataError, match=rf"both a .nii.gz and a .nii file.*patient {subject}"):
        readers.subject_paths(subject, root / subject)


def _renamed_subject(source: Path, folder: Path, subject: str, naming: str) -> None:
    """Copy a phantom subject into ``folder`` under another subject name and file naming."""
    folder.mkdir(parents=True)
    old = source.name
    for image in (*readers.MODALITIES, "seg"):
        path = source / f"{readers.image_stem(old, image)}.nii.gz"
        if path.exists():
            shutil.copyfile(path, folder / f"{readers.image_stem(subject, image, naming)}.nii.gz")


def test_brats_2023_names_are_found_and_read(brats_copy, tmp_path):
    root, subject = brats_copy
    other = tmp_path / "brats2023"
    _renamed_subject(root / subject, other / "BraTS-GLI-00001-000", "BraTS-GLI-00001-000", "BraTS 2023")
    found = readers.find_brats_subjects(other)
    assert list(found) == ["BraTS-GLI-00001-000"]
    paths = readers.subject_paths("BraTS-GLI-00001-000", found["BraTS-GLI-00001-000"])
    assert paths["t1ce"].name == "BraTS-GLI-00001-000-t1c.nii.gz" and paths["seg"] is not None
    readers.validate_subject("BraTS-GLI-00001-000", paths)


def test_brats_toolkit_names_are_found_and_read(brats_copy, tmp_path):
    """BraTS Toolkit / BrainLes preprocessing output: `<id>_t1_bet`, `_t1c_bet`, `_t2_bet`, `_fla_bet`."""
    root, subject = brats_copy
    other = tmp_path / "toolkit"
    _renamed_subject(root / subject, other / "TCGA-FG-6692", "TCGA-FG-6692", "BraTS Toolkit")
    found = readers.find_brats_subjects(other)
    assert list(found) == ["TCGA-FG-6692"] and readers.subject_naming("TCGA-FG-6692", found["TCGA-FG-6692"]) == (
        "BraTS Toolkit")
    paths = readers.subject_paths("TCGA-FG-6692", found["TCGA-FG-6692"])
    assert [paths[m].name for m in readers.MODALITIES] == [
        "TCGA-FG-6692_t1_bet.nii.gz", "TCGA-FG-6692_t1c_bet.nii.gz", "TCGA-FG-6692_t2_bet.nii.gz",
        "TCGA-FG-6692_fla_bet.nii.gz"]  # fmt: skip
    readers.validate_subject("TCGA-FG-6692", paths)


def test_tcga_barcode_folders_link_to_their_clinical_row_without_a_mapping(phantom_dir, phantom_manifest, tmp_path):
    """A TCIA-style folder (`TCGA-XX-XXXX/TCGA-XX-XXXX_t1.nii.gz`), given with clinical data but no
    name mapping and no SCNA, is the labelled patient it names, not an unlabelled scan."""
    from glioma_lib.cohort.manifest import CohortSources, build_manifest

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
    from glioma_lib.cohort.manifest import CohortSources, build_manifest

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
    from glioma_lib.cohort.manifest import CohortSources, build_manifest

    root, subject = brats_copy
    _renamed_subject(root / subject, root / "scan_0042", "scan_0042", "BraTS 2018-2021")
    sources = CohortSources(clinical=phantom_dir / "tcga/clinical.csv", name_mapping=root / "name_mapping.csv",
                            brats_root=root, spacing_mm=None)  # fmt: skip
    manifest, report = build_manifest(sources)
    assert manifest.set_index("patient_id").loc["scan_0042", "split"] == "unlabelled_mr"
    line = report.set_index("patient").loc["scan_0042"]
    assert "not in the name mapping" in line["reason"] and line["source"].endswith("scan_0042")


def _resaved(path: Path, affine: np.ndarray | None = None, offset: float = 0.0) -> None:
    image = nib.load(path)
    nib.save(nib.Nifti1Image(np.asarray(image.dataobj) + offset, image.affine if affine is None else affine), path)


def test_voxels_far_from_1_mm_are_refused_or_accepted_knowingly(brats_copy):
    """BraTS scans are 1 mm isotropic; the phantom's are not, so as a 'real' cohort it is refused,
    with the flag it is read and each file is listed."""
    root, subject = brats_copy
    paths = readers.subject_paths(subject, root / subject)
    with pytest.raises(InputDataError, match=rf"voxel size .* not about 1.0 mm.*BrainLes.*accept_unusual_geometry"
                                             rf".*patient {subject}, file .*_t1\.nii\.gz"):  # fmt: skip
        readers.validate_subject(subject, paths, expected_spacing=1.0)
    check = readers.validate_subject(subject, paths, expected_spacing=1.0, accept_unusual_geometry=True)
    assert [Path(i.source).name for i in check.accepted] == [paths[m].name for m in readers.MODALITIES]
    assert all(i.patient == subject and "voxel size" in i.value for i in check.accepted)
    assert readers.validate_subject(subject, paths).accepted == []  # the phantom's own spacing: not checked


def test_a_scan_that_is_not_skull_stripped_can_be_accepted_and_is_then_reported(brats_copy, phantom_dir):
    from glioma_lib.cohort.manifest import CohortSources, build_manifest

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
    from glioma_lib.cohort.manifest import CohortSources, build_manifest

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
