"""The manifest: counts on the real tables, invariants, splits, and no output on faults."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pandas as pd
import pytest

from glioma_lib.cli import main
from glioma_lib.cohort.manifest import build_manifest, read_manifest, write_manifest
from glioma_lib.cohort.sources import CohortSources
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import CohortFolder, RunLayout


def test_real_brats_tcga_counts(realdata):
    manifest, report = build_manifest(CohortSources.realdata(realdata))
    subjects = manifest[manifest["brats_id"].notna() & manifest["tcga_id"].notna()]
    assert len(subjects) == 167
    assert subjects["has_scna"].sum() == 108
    assert subjects["subtype"].fillna("unknown").value_counts().to_dict() == {
        "IDH-wildtype": 87, "IDH-mutant 1p/19q-intact": 43, "1p/19q-codeleted": 13, "unknown": 24}
    assert subjects["idh_mutant"].notna().sum() == 148
    assert subjects["codeleted"].notna().sum() == 161
    assert subjects["os_days"].notna().sum() == 166
    assert set(report.loc[report["field"] == "os_days", "patient"]) >= {"TCGA-P5-A5ET", "TCGA-QH-A6CX"}
    assert len(manifest[manifest["split"] == "scna_only"]) > 600


def test_real_mr_case_is_attached(realdata):
    manifest, report = build_manifest(CohortSources.realdata(realdata, realdata / "brats_mr"),
                                      require_all_mapped=False)  # fmt: skip
    row = manifest.set_index("brats_id").loc["Brats18_TCIA12_101_1"]
    assert row["has_mr"] and row["has_seg_gt"] and row["tcga_id"] == "TCGA-FG-6692"
    assert row["subtype"] == "IDH-wildtype" and row["grade"] == 3
    assert (report["reason"] == "folder not found").sum() == 284  # the other mapped subjects


def test_splits_hold_only_patients_with_what_the_split_needs(realdata):
    """The real mapping lists 285 subjects and one folder exists: train and validation hold only
    patients with MR (the others are SCNA-only or clinical-only, as on disk); drawn among the
    patients with SCNA instead, an MR patient without SCNA would be reported, never silently
    unlabelled."""
    sources = CohortSources.realdata(realdata, realdata / "brats_mr")
    manifest, _ = build_manifest(sources, require_all_mapped=False)
    in_split = manifest[manifest["split"].isin(["train", "validation"])]
    assert in_split["has_mr"].all() and list(in_split["brats_id"]) == ["Brats18_TCIA12_101_1"]
    assert set(manifest.loc[~manifest["has_mr"], "split"]) == {"scna_only", "clinical_only"}
    assert (manifest.loc[manifest["split"] == "clinical_only", ["has_mr", "has_scna"]].sum() == 0).all()

    by_scna, report = build_manifest(sources, require_all_mapped=False, split_requires=("scna",))
    in_split = by_scna[by_scna["split"].isin(["train", "validation"])]
    assert in_split["has_scna"].all() and len(in_split) > 600
    assert (in_split["split"] == "validation").mean() == pytest.approx(0.25, abs=0.02)
    for subtype, part in in_split.groupby(in_split["subtype"].fillna("unknown")):  # stratified
        assert (part["split"] == "validation").mean() == pytest.approx(0.25, abs=0.1), subtype


def test_a_labelled_mr_patient_left_out_of_the_split_gets_a_curation_line(phantom_dir):
    without_scna = replace(CohortSources.phantom(phantom_dir), scna_genes=None)  # MR and clinical data only
    manifest, report = build_manifest(without_scna, split_requires=("mr", "scna"))
    labelled = manifest["idh_mutant"].notna() | manifest["codeleted"].notna()
    left_out = manifest[manifest["has_mr"] & labelled]  # no one has SCNA
    assert len(left_out) and set(left_out["split"]) == {"unlabelled_mr"}
    lines = report[report["field"] == "split"].set_index("patient")
    assert set(lines.index) == set(left_out["patient_id"])
    assert lines["reason"].str.contains("without scna, which the split requires").all()


def test_mapping_row_without_folder_stops(realdata, tmp_path):
    with pytest.raises(InputDataError, match="folder is missing"):
        build_manifest(CohortSources.realdata(realdata, realdata / "brats_mr"))


def test_phantom_manifest_invariants(phantom_manifest, phantom_dir):
    m = phantom_manifest
    truth = pd.read_csv(phantom_dir / "truth.csv")
    assert len(m) == len(truth) and m["patient_id"].is_unique
    assert set(m.loc[m["split"] == "scna_only", "has_mr"]) == {False}
    unlabelled = m[m["split"] == "unlabelled_mr"]  # no TCGA record, or one without either marker
    assert unlabelled["idh_mutant"].isna().all() and unlabelled["codeleted"].isna().all()
    labelled = m[m["split"].isin(["train", "validation"])]
    assert labelled["has_mr"].all() and (labelled["idh_mutant"].notna() | labelled["codeleted"].notna()).all()
    assert m["has_seg_gt"].sum() == truth["has_seg"].sum()
    # Manifest labels agree with the planted truth wherever they were reported.
    merged = m.merge(truth, on="tcga_id", suffixes=("", "_truth"))
    known = merged["idh_mutant"].notna()
    assert (merged.loc[known, "idh_mutant"].astype(bool) == merged.loc[known, "idh_mutant_truth"]).all()


def test_splits_are_seeded_and_stratified(phantom_dir):
    a, _ = build_manifest(CohortSources.phantom(phantom_dir), seed=1)
    b, _ = build_manifest(CohortSources.phantom(phantom_dir), seed=1)
    pd.testing.assert_frame_equal(a, b)


def test_write_and_read_round_trip(phantom_manifest, tmp_path):
    layout = RunLayout(tmp_path)
    assert write_manifest(phantom_manifest, pd.DataFrame(columns=["patient"]), layout.cohort_folder) == layout.manifest
    pd.testing.assert_frame_equal(phantom_manifest, read_manifest(layout.manifest))
    assert layout.manifest_csv.is_file() and layout.curation_report.is_file()


def test_a_full_disk_half_way_publishes_no_manifest_file(phantom_manifest, tmp_path, monkeypatch):
    import errno

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)  # the CSVs are written, the parquet fails
    with pytest.raises(OSError, match="No space"):
        write_manifest(phantom_manifest, pd.DataFrame(columns=["patient"]), RunLayout(tmp_path).cohort_folder)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_structural_fault_writes_nothing(phantom_dir, tmp_path, capsys):
    source = tmp_path / "src"
    shutil.copytree(phantom_dir, source)
    next((source / "brats").glob("*/*_t1ce.nii.gz")).unlink()
    out = tmp_path / "cohort"
    assert main(["cohort", "build", "--phantom", str(source), "--out", str(out)]) == 2
    assert "missing t1ce" in capsys.readouterr().err
    assert not out.exists()


def test_duplicate_tcga_mapping_stops(phantom_dir, tmp_path):
    source = tmp_path / "src"
    shutil.copytree(phantom_dir, source)
    mapping = pd.read_csv(source / "brats/name_mapping.csv")
    labelled = mapping[mapping["TCGA_TCIA_subject_ID"].notna()].index  # pandas reads "NA" as missing
    mapping.loc[labelled[1], "TCGA_TCIA_subject_ID"] = mapping.loc[labelled[0], "TCGA_TCIA_subject_ID"]
    mapping.to_csv(source / "brats/name_mapping.csv", index=False)
    with pytest.raises(InputDataError, match="same TCGA patient"):
        build_manifest(CohortSources.phantom(source))


@pytest.mark.parametrize(("column", "value", "message"), [
    ("split", "Train", "split must be one of"),
    ("split", "test", "split must be one of"),
    ("patient_id", "DUPLICATE", "appears more than once"),
])  # fmt: skip
def test_a_hand_edited_manifest_is_refused_on_read_naming_the_patient(phantom_manifest, tmp_path, column, value,
                                                                      message):  # fmt: skip
    from glioma_lib.cohort.manifest import read_manifest
    from glioma_lib.core.errors import InputDataError

    edited = phantom_manifest.copy()
    edited.loc[edited.index[:2], column] = value
    path = tmp_path / "manifest.parquet"
    edited.to_parquet(path)
    patient = value if column == "patient_id" else edited["patient_id"].iloc[0]
    with pytest.raises(InputDataError, match=rf"{message}.*patient {patient}, file .*manifest\.parquet"):
        read_manifest(path)


def test_cohort_build_without_a_source_or_with_a_missing_folder_says_so(tmp_path, capsys):
    assert main(["cohort", "build", "--out", str(tmp_path / "out")]) == 2
    assert "no cohort source: give --phantom" in capsys.readouterr().err
    assert main(["cohort", "build", "--realdata", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "folder not found" in error and "nowhere" in error and not (tmp_path / "out").exists()


def test_cohort_build_takes_the_split_and_geometry_flags(realdata, tmp_path):
    out = tmp_path / "out"
    assert main(["cohort", "build", "--realdata", str(realdata), "--brats", str(realdata / "brats_mr"),
                 "--allow-missing-mr", "--accept-unusual-geometry", "--split-requires", "scna", "--out", str(out)]) == 0
    manifest = read_manifest(CohortFolder(out).manifest)
    assert manifest.loc[manifest["split"].isin(["train", "validation"]), "has_scna"].all()
    assert manifest["has_mr"].sum() == 1


def test_a_truncated_manifest_is_named_with_the_step_that_writes_it(phantom_run, tmp_path):
    damaged = tmp_path / "manifest.parquet"
    damaged.write_bytes(phantom_run.manifest.read_bytes()[:200])
    expected = r"manifest cannot be read.*cohort step \(notebook 01\).*manifest\.parquet"
    with pytest.raises(InputDataError, match=expected):
        read_manifest(damaged)
