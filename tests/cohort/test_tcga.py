"""TCGA tables: Ceccarelli S1A, Xena GISTIC2, arm tables, one sample per patient."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.cohort import tcga
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import DAYS_PER_MONTH

REAL_CASE = "Brats18_TCIA12_101_1"


def test_ceccarelli_reads_with_five_survival_issues(realdata):
    clinical, issues = tcga.read_ceccarelli(realdata / "tcga_clinical/ceccarelli2016_table_s1a.csv")
    assert len(clinical) == 1122
    survival_issues = [i for i in issues if i.field == "os_days"]
    assert sorted(i.patient for i in survival_issues) == [
        "TCGA-P5-A5ET", "TCGA-P5-A5EU", "TCGA-QH-A6CU", "TCGA-QH-A6CW", "TCGA-QH-A6CX"]
    assert clinical.set_index("tcga_id").loc["TCGA-P5-A5ET", "os_days"] is np.nan or pd.isna(
        clinical.set_index("tcga_id").loc["TCGA-P5-A5ET", "os_days"])
    assert clinical["subtype"].value_counts().to_dict() == {
        "IDH-wildtype": 520, "IDH-mutant 1p/19q-intact": 283, "1p/19q-codeleted": 171}


def test_arm_tables(realdata):
    arms = tcga.read_arm_table(realdata / "tcga_scna_arm/arm_level_scna_786.csv")
    assert arms.shape == (786, 40) and arms.abs().max().max() <= 1
    clinical = tcga.read_scna_clinical_786(realdata / "tcga_scna_arm/clinical_786.csv")
    assert set(clinical["subtype"]) == {"IDH-wildtype", "IDH-mutant 1p/19q-intact", "1p/19q-codeleted"}
    gene_map = tcga.read_gene_to_arm(realdata / "tcga_scna_arm/gene_to_arm_23109.csv")
    assert len(gene_map) == 23109 and gene_map["CDKN2A"] == "9p"


def test_genes_to_arms_is_the_signed_mean():
    genes = pd.DataFrame({"A": [-2, 0], "B": [-1, 1], "C": [2, 2]}, index=["p1", "p2"])
    arms = tcga.genes_to_arms(genes, pd.Series({"A": "1p", "B": "1p", "C": "7p", "Z": "9p"}))
    assert arms.loc["p1", "1p"] == -1.0 and arms.loc["p2", "1p"] == 0.5 and arms.loc["p1", "7p"] == 1.0


def test_xena_non_numeric_cell_names_sample_and_file(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("Gene Symbol\tTCGA-AA-0001-01\tTCGA-AA-0002-01\nEGFR\t0\t1\nPTEN\tfoo\t0\n")
    with pytest.raises(InputDataError, match=r"TCGA-AA-0001-01.*x\.tsv"):
        tcga.read_xena_gistic(path)


def test_xena_keeps_primary_tumour_and_maps_to_patients(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("Gene Symbol\tTCGA-AA-0001-01\tTCGA-AA-0001-11\nEGFR|chr7\t2\t0\n")
    table = tcga.read_xena_gistic(path)
    assert table.loc["TCGA-AA-0001", "EGFR"] == 2 and len(table) == 1


def test_bad_clinical_values_are_reported_not_used(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"Case": ["TCGA-1", "TCGA-2", "TCGA-3"], "Grade": ["G2", "G9", "G4"],
                  "Age (years at diagnosis)": [40, -3, 50], "Survival (months)": [10, -1, "x"],
                  "Vital status (1=dead)": [1, 0, 1], "IDH status": ["WT", "maybe", "Mutant"],
                  "1p/19q codeletion": ["non-codel", "codel", "codel"]}).to_csv(path, index=False)  # fmt: skip
    clinical, issues = tcga.read_ceccarelli(path)
    fields = {(i.patient, i.field) for i in issues}
    assert {("TCGA-2", "grade"), ("TCGA-2", "age"), ("TCGA-2", "os_days"), ("TCGA-2", "idh"),
            ("TCGA-3", "os_days")} <= fields  # fmt: skip
    row = clinical.set_index("tcga_id").loc["TCGA-2"]
    assert pd.isna(row["os_days"]) and pd.isna(row["idh_mutant"]) and pd.isna(row["grade"])
    assert clinical.set_index("tcga_id").loc["TCGA-1", "os_days"] == pytest.approx(304.375)


def test_arm_tables_are_read_by_content_whatever_the_separator(realdata, tmp_path):
    original = tcga.read_arm_table(realdata / "tcga_scna_arm/arm_level_scna_786.csv")
    table = pd.read_csv(realdata / "tcga_scna_arm/arm_level_scna_786.csv", index_col=0)
    table.to_csv(tmp_path / "arms.csv.txt", sep="\t")  # tab-separated under a misleading name
    table.to_csv(tmp_path / "arms_semicolon.csv", sep=";")
    for name in ("arms.csv.txt", "arms_semicolon.csv"):
        pd.testing.assert_frame_equal(tcga.read_arm_table(tmp_path / name), original)


def test_a_table_without_usable_columns_or_required_ones_names_the_file(tmp_path):
    (tmp_path / "one_column.csv").write_text("patient\nTCGA-01-0001\nTCGA-01-0002\n")
    with pytest.raises(InputDataError, match=r"no usable columns.*one_column\.csv"):
        tcga.read_arm_table(tmp_path / "one_column.csv")
    (tmp_path / "clinical.tsv").write_text("Case\tGrade\nTCGA-01-0001\tG2\n")
    with pytest.raises(InputDataError, match=r"clinical table lacks the columns \['Age.*found \['Case', 'Grade'\]"):
        tcga.read_ceccarelli(tmp_path / "clinical.tsv")
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(InputDataError, match=r"book\.xlsx"):
        tcga.read_ceccarelli(tmp_path / "book.xlsx")


def test_unknown_who_subtype_names_are_listed(realdata, tmp_path):
    table = pd.read_csv(realdata / "tcga_scna_arm/clinical_786.csv", index_col=0)
    table.iloc[0, table.columns.get_loc("WHO_2021_Subtype")] = "Astrocytoma, IDH-mutant"
    table.to_csv(tmp_path / "clinical.csv")
    with pytest.raises(InputDataError, match=rf"unknown WHO 2021 subtype names \['Astrocytoma, IDH-mutant'\].*"
                                             rf"patient {table.index[0]}"):
        tcga.read_scna_clinical_786(tmp_path / "clinical.csv")


def test_a_patient_with_primary_and_recurrent_samples_keeps_the_primary(tmp_path):
    (tmp_path / "arms.tsv").write_text("sample\t1p\t19q\nTCGA-02-0001-02\t0.5\t0.5\nTCGA-02-0001-01\t-1\t-1\n"
                                       "TCGA-02-0002-01\t0\t0\n")  # fmt: skip
    table = tcga.read_arm_table(tmp_path / "arms.tsv")
    assert table.index.tolist() == ["TCGA-02-0001", "TCGA-02-0002"] and table.index.is_unique
    assert table.loc["TCGA-02-0001", "1p"] == -1  # the primary tumour (-01), not the recurrence (-02)
    (tmp_path / "twice.tsv").write_text("sample\t1p\nTCGA-02-0001-01\t0\nTCGA-02-0001-01\t1\n")
    with pytest.raises(InputDataError, match="same sample appears twice.*patient TCGA-02-0001-01"):
        tcga.read_arm_table(tmp_path / "twice.tsv")


def test_values_inside_a_readable_clinical_table_never_vanish_silently(tmp_path):
    """A survival of 1e9, a repeated header line, a non-numeric age or vital status: each is set
    missing (or dropped) with a line in the curation report; a duplicated column is refused."""
    header = "Case,Grade,Age (years at diagnosis),Survival (months),Vital status (1=dead),IDH status,1p/19q codeletion"
    rows = ["TCGA-1,G2,40,1000000000,1,WT,non-codel", header, "TCGA-2,G3,forty,12,alive,Mutant,codel",
            "TCGA-3,G4,50,20,1,WT,non-codel"]  # fmt: skip
    (tmp_path / "c.csv").write_text("\n".join([header, *rows]) + "\n")
    clinical, issues = tcga.read_ceccarelli(tmp_path / "c.csv")
    reasons = {(i.patient, i.field): i.reason for i in issues}
    assert clinical["tcga_id"].tolist() == ["TCGA-1", "TCGA-2", "TCGA-3"]  # the header line is no patient "Case"
    assert reasons[("row 3", "row")] == "a repeated header line, dropped"
    assert "survival > 600 months" in reasons[("TCGA-1", "os_days")]
    assert reasons[("TCGA-2", "age")] == "non-numeric age"
    assert "non-numeric vital status" in reasons[("TCGA-2", "os_event")]
    by_id = clinical.set_index("tcga_id")
    assert pd.isna(by_id.loc["TCGA-1", "os_days"]) and pd.isna(by_id.loc["TCGA-2", "os_days"])
    assert by_id.loc["TCGA-3", "os_days"] == pytest.approx(20 * DAYS_PER_MONTH)
    (tmp_path / "twice.csv").write_text(header + ",Grade\nTCGA-1,G2,40,10,1,WT,non-codel,G4\n")
    with pytest.raises(InputDataError, match="has the column 'Grade' twice.*twice\\.csv"):
        tcga.read_ceccarelli(tmp_path / "twice.csv")
