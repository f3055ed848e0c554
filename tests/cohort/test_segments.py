"""Segment-level copy number summarised to chromosome arms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.cohort import segments
from glioma_lib.core.errors import InputDataError

ARM = 1_000_000  # every arm of the test genome is 1 Mb: p from 0, q from 1 Mb


@pytest.fixture
def cytobands(tmp_path):
    """A UCSC-style cytoBand.txt (no header) for a toy genome: two bands per arm, X and Y included;
    13p carries bands too, so an arm no segment touches can be seen to drop out."""
    rows = []
    for chrom in [*segments.AUTOSOMES, "X", "Y"]:
        for arm, offset in (("p", 0), ("q", ARM)):
            rows += [f"chr{chrom}\t{offset}\t{offset + ARM // 2}\t{arm}12\tgneg",
                     f"chr{chrom}\t{offset + ARM // 2}\t{offset + ARM}\t{arm}11\tacen"]
    path = tmp_path / "cytoBand.txt"
    path.write_text("\n".join(rows) + "\n")
    return path


def _segment_file(tmp_path, rows, header="Sample\tChromosome\tStart\tEnd\tNum_Probes\tSegment_Mean"):
    path = tmp_path / "segments.seg"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def _covering(sample, value, skip=()):
    """Segments covering every autosomal arm except 13p with ``value``, apart from ``skip``."""
    return [f"{sample}\t{c}\t{o}\t{o + ARM}\t100\t{value}" for c in segments.AUTOSOMES for o in (0, ARM)
            if (c, o) not in skip and (c, o) != ("13", 0)]


def test_a_whole_arm_loss_is_minus_one_and_half_an_arm_is_half(tmp_path, cytobands):
    rows = _covering("TCGA-02-0001-01A-01D", 0.0, skip={("1", 0), ("19", ARM)})
    rows += ["TCGA-02-0001-01A-01D\t1\t0\t1000000\t50\t-1.0",  # 1p lost
             "TCGA-02-0001-01A-01D\tchr19\t1000000\t1500000\t20\t-0.8",  # half of 19q lost
             "TCGA-02-0001-01A-01D\tchr19\t1500000\t2000000\t20\t0.05"]  # fmt: skip
    rows += _covering("TCGA-02-0002-01A-01D", 0.6)  # every arm gained
    table = segments.segments_to_arms(segments.read_segments(_segment_file(tmp_path, rows)),
                                      segments.read_cytobands(cytobands))  # fmt: skip
    assert table.loc["TCGA-02-0001-01A-01D", "1p"] == -1 and table.loc["TCGA-02-0001-01A-01D", "19q"] == -0.5
    assert table.loc["TCGA-02-0001-01A-01D", "1q"] == 0
    assert (table.loc["TCGA-02-0002-01A-01D"] == 1).all()
    assert "13p" not in table and len(table.columns) == 43 and list(table.columns[:3]) == ["1p", "1q", "2p"]
    assert not any(c.startswith(("X", "Y")) for c in table.columns)


def test_the_arm_value_matches_a_naive_base_by_base_count(tmp_path, cytobands):
    """Against a naive count over every base of a 2 Mb chromosome, with overlapping arm borders."""
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, 2 * ARM, 997), 12, replace=False))
    bounds = np.concatenate([[0], cuts, [2 * ARM]])
    values = rng.normal(0, 0.5, len(bounds) - 1)
    rows = [f"TCGA-02-0003-01\t7\t{a}\t{b}\t10\t{v}" for a, b, v in zip(bounds[:-1], bounds[1:], values, strict=True)]
    table = segments.segments_to_arms(segments.read_segments(_segment_file(tmp_path, rows)),
                                      segments.read_cytobands(cytobands))  # fmt: skip
    calls = np.zeros(2 * ARM)
    for a, b, v in zip(bounds[:-1], bounds[1:], values, strict=True):
        calls[a:b] = 1 if v > segments.LOG2_GAIN else (-1 if v < segments.LOG2_LOSS else 0)
    assert table.loc["TCGA-02-0003-01", "7p"] == pytest.approx(calls[:ARM].mean())
    assert table.loc["TCGA-02-0003-01", "7q"] == pytest.approx(calls[ARM:].mean())


def test_absolute_copy_numbers_and_ascat_columns_are_called_too(tmp_path, cytobands):
    gdc = _segment_file(tmp_path, ["TCGA-02-0004-01A\t10\t0\t1000000\t1", "TCGA-02-0004-01A\t10\t1000000\t2000000\t4"],
                        header="Sample\tChromosome\tStart\tEnd\tCopy_Number")  # fmt: skip
    assert segments.read_segments(gdc)["call"].tolist() == [-1, 1]
    ascat = _segment_file(tmp_path, ["TCGA-02-0004-01A,chr10,1,500,1,0", "TCGA-02-0004-01A,chr10,600,900,1,1"],
                          header="sample,chr,startpos,endpos,nMajor,nMinor")  # fmt: skip
    assert segments.read_segments(ascat)["call"].tolist() == [-1, 0]


@pytest.mark.parametrize(("header", "row", "message"), [
    ("Sample\tChromosome\tStart\tEnd", "TCGA-02-0001-01\t1\t0\t10", r"log2 ratio or copy number.*found \['Sample'"),
    ("Sample\tStart\tEnd\tSegment_Mean", "TCGA-02-0001-01\t0\t10\t0.1", r"\['chrom'\]"),
    ("Sample\tChromosome\tStart\tEnd\tSegment_Mean", "TCGA-02-0001-01\t1\t0\tten\t0.1",
     r"non-numeric end.*patient TCGA-02-0001-01, file .*segments\.seg"),
    ("Sample\tChromosome\tStart\tEnd\tSegment_Mean", "TCGA-02-0001-01\t1\t50\t10\t0.1", r"ends before it starts"),
    ("GDC_Aliquot\tChromosome\tStart\tEnd\tSegment_Mean", "0f4e5a7c-1b2d-4c3e-8f9a-0b1c2d3e4f50\t1\t0\t10\t0.1",
     r"must be TCGA barcodes.*GDC sample sheet.*patient 0f4e5a7c"),
])  # fmt: skip
def test_a_broken_segment_file_is_refused_naming_sample_and_file(tmp_path, header, row, message):
    with pytest.raises(InputDataError, match=message):
        segments.read_segments(_segment_file(tmp_path, [row], header))


def test_a_cytoband_table_without_every_autosome_is_refused(tmp_path, cytobands):
    lines = [line for line in cytobands.read_text().splitlines() if not line.startswith("chr5\t")]
    (tmp_path / "short.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputDataError, match=r"lacks chromosomes \['5'\].*short\.txt"):
        segments.read_cytobands(tmp_path / "short.txt")


def test_a_segment_cohort_builds_a_manifest_with_one_sample_per_patient(tmp_path, cytobands, phantom_dir):
    """Segments as the SCNA source: the primary sample stands for the patient, the recurrence and the
    normal sample get curation lines; without a cytoband table the build stops, naming the file."""
    from dataclasses import replace

    from glioma_lib.cohort.manifest import CohortSources, build_manifest

    clinical = pd.read_csv(phantom_dir / "tcga/clinical.csv")
    patient = clinical["Case"].iloc[0]
    rows = (_covering(f"{patient}-02A", 0.5) + _covering(f"{patient}-01A", -0.5) + _covering(f"{patient}-10A", 0.0))
    sources = replace(CohortSources.phantom(phantom_dir), scna_genes=None, gene_to_arm=None,
                      scna_segments=_segment_file(tmp_path, rows), cytobands=cytobands)  # fmt: skip
    manifest, report = build_manifest(sources)
    assert manifest.set_index("patient_id").loc[patient, "has_scna"] and manifest["has_scna"].sum() == 1
    lines = report[report["field"] == "scna_sample"].set_index("value")["reason"]
    assert f"kept {patient}-01A" in lines[f"{patient}-02A"] and "normal" in lines[f"{patient}-10A"]
    with pytest.raises(InputDataError, match=r"needs a cytoband table.*segments\.seg"):
        build_manifest(replace(sources, cytobands=None))


def test_cohort_build_reads_a_segment_file_from_the_command_line(tmp_path, cytobands, phantom_dir):
    from glioma_lib.cli import main
    from glioma_lib.cohort.manifest import read_manifest
    from glioma_lib.core.layout import CohortFolder

    patient = pd.read_csv(phantom_dir / "tcga/clinical.csv")["Case"].iloc[1]
    seg = _segment_file(tmp_path, _covering(f"{patient}-01A", -0.5))
    out = tmp_path / "out"
    assert main(["cohort", "build", "--clinical", str(phantom_dir / "tcga/clinical.csv"), "--scna-segments", str(seg),
                 "--cytobands", str(cytobands), "--out", str(out)]) == 0  # fmt: skip
    manifest = read_manifest(CohortFolder(out).manifest)
    assert manifest.loc[manifest["has_scna"], "patient_id"].tolist() == [patient]
