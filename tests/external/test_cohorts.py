"""External cohorts read by their settings: every rule applied and reported, unknown labels refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.core.errors import InputDataError
from glioma_lib.core.naming import DAYS_PER_MONTH, SUBTYPES
from glioma_lib.external.cohorts import read_external_cohort

ARMS = ["1p", "1q", "7p", "10q", "19q"]
LABELS = {"wt": SUBTYPES[0], "mut": SUBTYPES[1], "codel": SUBTYPES[2], "unknown": None}


@pytest.fixture
def toy(tmp_path):
    """Five samples: s2 listed twice in the arm table; s3 and s4 one patient; s5 without a clinical row;
    c9 a clinical row without copy number; s4 labelled 'unknown' (mapped to no label); 19q absent, 'chr5p' extra."""
    arms = pd.DataFrame(np.arange(25, dtype=float).reshape(5, 5) / 25,
                        index=["s1", "s2", "s2", "s3", "s4"], columns=["chr1p", "1q", "7p", "10q", "5p"])  # fmt: skip
    arms.loc["s5"] = -0.5
    arms.to_csv(tmp_path / "arms.csv")
    clinical = pd.DataFrame({"id": ["s1", "s2", "s3", "s4", "c9"], "patient": ["p1", "p2", "p3", "p3", "p9"],
                             "label": ["wt", "mut", "codel", "unknown", "wt"], "months": [10, 20, None, 5, 7],
                             "dead": [1, 0, 1, 1, 1]})  # fmt: skip
    clinical.to_csv(tmp_path / "clinical.tsv", sep="\t", index=False)
    return {"name": "Toy", "platform": "made up", "arm_table": str(tmp_path / "arms.csv"),
            "clinical": str(tmp_path / "clinical.tsv"), "sample_column": "id", "patient_column": "patient",
            "label_column": "label", "labels": LABELS,
            "survival": {"time": "months", "event": "dead", "unit": "months"}}  # fmt: skip


def test_every_rule_is_applied_and_reported(toy):
    cohort = read_external_cohort("toy", toy, ARMS)
    assert list(cohort.arms.index) == ["s1", "s2", "s3", "s5"] and list(cohort.arms.columns) == ARMS
    assert (cohort.arms["19q"] == 0).all() and cohort.arms.loc["s1", "1p"] == 0  # aligned by name; 19q filled
    assert cohort.arms.loc["s2", "1p"] == 5 / 25  # the first of the duplicate rows
    assert cohort.subtype.to_dict() == {"s1": SUBTYPES[0], "s2": SUBTYPES[1], "s3": SUBTYPES[2], "s5": None}
    rules = {(row["sample"], row["rule"].split(",")[0].split(":")[0]) for row in cohort.report}
    assert rules == {("s2", "duplicate copy-number row"), ("all samples", "arm missing"),
                     ("all samples", "arm not in the reference"), ("s4", "second sample of a patient"),
                     ("c9", "clinical row without copy number"), ("s5", "copy number without a clinical row"),
                     ("s3", "no usable survival")}  # fmt: skip
    assert cohort.survival.loc["s1", "os_days"] == pytest.approx(10 * DAYS_PER_MONTH)
    assert np.isnan(cohort.survival.loc["s3", "os_days"])


def test_a_label_mapped_to_none_is_reported_as_no_label(toy):
    toy = {**toy, "patient_column": None}
    cohort = read_external_cohort("toy", toy, ARMS)
    assert cohort.subtype["s4"] is None
    assert any(row["sample"] == "s4" and row["rule"].startswith("label mapped to none") for row in cohort.report)


def test_an_unknown_label_spelling_is_refused_naming_cohort_sample_and_file(toy):
    labels = {k: v for k, v in LABELS.items() if k != "codel"}
    with pytest.raises(InputDataError, match=r"'Toy': label 'codel' is not in its label mapping.*patient s3.*clinical"):
        read_external_cohort("toy", {**toy, "labels": labels}, ARMS)


def test_a_cohort_missing_most_arms_is_refused(toy):
    with pytest.raises(InputDataError, match="lacks 3 of the reference's 5 arms"):
        read_external_cohort("toy", toy, ["2p", "3q", "19q", "1q", "7p"])


def test_a_segment_cohort_with_sample_ids_that_are_not_tcga_barcodes(tmp_path, toy):
    from tests.cohort.test_segments import ARM, _planted_copies, _segment_rows

    rng = np.random.default_rng(0)
    rows = _segment_rows("s1", _planted_copies(4), "copy_number", rng, 4.0)
    (tmp_path / "segments.tsv").write_text("\n".join(["Sample\tChromosome\tStart\tEnd\tCopy_Number", *rows]) + "\n")
    bands = [f"chr{c}\t{o}\t{o + ARM}\t{arm}11\tgneg" for c in range(1, 23) for arm, o in (("p", 0), ("q", ARM))]
    (tmp_path / "cytoBand.txt").write_text("\n".join(bands) + "\n")
    settings = {**toy, "arm_table": None, "segments": str(tmp_path / "segments.tsv"),
                "cytobands": str(tmp_path / "cytoBand.txt")}  # fmt: skip
    cohort = read_external_cohort("toy", settings, ["1p", "7p", "10q", "19q"])
    assert cohort.arms.loc["s1"].tolist() == [-1.0, 1.0, -1.0, -0.5]  # called against its ploidy of 4
    assert any(row["sample"] == "s1" and "ploidy" in row["rule"] for row in cohort.report)


def test_the_shipped_glass_and_capper_settings_read_the_real_cohorts(shipped_cohorts, tcga_tables):
    reference = pd.read_csv(tcga_tables[0], index_col=0, nrows=1).columns.tolist()
    glass = read_external_cohort("glass", shipped_cohorts["glass"], reference)
    assert len(glass.arms) == 201 and glass.subtype.value_counts().to_dict() == {SUBTYPES[0]: 143, SUBTYPES[1]: 58}
    assert int(glass.survival["os_days"].notna().sum()) == 184
    capper = read_external_cohort("capper", shipped_cohorts["capper"], reference)
    assert len(capper.arms) == 489 and capper.survival is None
    assert capper.subtype.value_counts().to_dict() == {SUBTYPES[0]: 298, SUBTYPES[1]: 110, SUBTYPES[2]: 80}
    assert [row["rule"] for row in capper.report] == ["copy number without a clinical row: mapped, no label"]
