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
    return [f"{sample}\t{c}\t{o + 1}\t{o + ARM}\t100\t{value}" for c in segments.AUTOSOMES for o in (0, ARM)
            if (c, o) not in skip and (c, o) != ("13", 0)]


def test_a_whole_arm_loss_is_minus_one_and_half_an_arm_is_half(tmp_path, cytobands):
    rows = _covering("TCGA-02-0001-01A-01D", 0.0, skip={("1", 0), ("19", ARM)})
    rows += ["TCGA-02-0001-01A-01D\t1\t1\t1000000\t50\t-1.0",  # 1p lost
             "TCGA-02-0001-01A-01D\tchr19\t1000001\t1500000\t20\t-0.8",  # half of 19q lost
             "TCGA-02-0001-01A-01D\tchr19\t1500001\t2000000\t20\t0.05"]  # fmt: skip
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
    rows = [f"TCGA-02-0003-01\t7\t{a + 1}\t{b}\t10\t{v}" for a, b, v in zip(bounds[:-1], bounds[1:], values,
                                                                           strict=True)]  # 1-based, inclusive
    table = segments.segments_to_arms(segments.read_segments(_segment_file(tmp_path, rows)),
                                      segments.read_cytobands(cytobands))  # fmt: skip
    calls = np.zeros(2 * ARM)
    for a, b, v in zip(bounds[:-1], bounds[1:], values, strict=True):
        calls[a:b] = 1 if v > segments.LOG2_GAIN else (-1 if v < segments.LOG2_LOSS else 0)
    assert table.loc["TCGA-02-0003-01", "7p"] == pytest.approx(calls[:ARM].mean())
    assert table.loc["TCGA-02-0003-01", "7q"] == pytest.approx(calls[ARM:].mean())


def test_absolute_copy_numbers_and_ascat_columns_are_called_too(tmp_path, cytobands):
    diploid = [f"TCGA-02-0004-01A\t{c}\t1\t{2 * ARM}\t2" for c in segments.AUTOSOMES if c != "10"]
    gdc = _segment_file(tmp_path, [*diploid, "TCGA-02-0004-01A\t10\t1\t1000000\t1",
                                   "TCGA-02-0004-01A\t10\t1000001\t2000000\t4"],
                        header="Sample\tChromosome\tStart\tEnd\tCopy_Number")  # fmt: skip
    assert segments.call_segments(segments.read_segments(gdc))["call"].tolist()[-2:] == [-1, 1]
    ascat = [line.replace("\t", ",") + ",1" for line in diploid]  # nMajor 2, nMinor 1 -> 3 copies, minus one below
    ascat = _segment_file(tmp_path, [row.rsplit(",", 2)[0] + ",1,1" for row in ascat]
                          + ["TCGA-02-0004-01A,chr10,1,500,1,0", "TCGA-02-0004-01A,chr10,600,600,1,1"],
                          header="sample,chr,startpos,endpos,nMajor,nMinor")  # fmt: skip
    assert segments.call_segments(segments.read_segments(ascat))["call"].tolist()[-2:] == [-1, 0]


@pytest.mark.parametrize(("header", "row", "message"), [
    ("Sample\tChromosome\tStart\tEnd", "TCGA-02-0001-01\t1\t0\t10", r"log2 ratio or copy number.*found \['Sample'"),
    ("Sample\tStart\tEnd\tSegment_Mean", "TCGA-02-0001-01\t0\t10\t0.1", r"\['chrom'\]"),
    ("Sample\tChromosome\tStart\tEnd\tSegment_Mean", "TCGA-02-0001-01\t1\t0\tten\t0.1",
     r"non-numeric end.*patient TCGA-02-0001-01, file .*segments\.seg"),
    ("Sample\tChromosome\tStart\tEnd\tSegment_Mean", "TCGA-02-0001-01\t1\t50\t10\t0.1",
     r"ends before it starts \(10 < 50"),
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

    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

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


# ---------------------------------------------------------------- ploidy: planted arm events, every format

PLANTED = {"1p": -1.0, "7p": 1.0, "7q": 1.0, "10p": -1.0, "10q": -1.0, "19q": -0.5}  # every other arm 0
FORMATS = {
    "log2": "Sample\tChromosome\tStart\tEnd\tNum_Probes\tSegment_Mean",
    "copy_number": "Sample\tChromosome\tStart\tEnd\tCopy_Number",
    "ascat": "sample,chr,startpos,endpos,nMajor,nMinor",
    "ascat_with_ploidy": "sample,chr,startpos,endpos,nMajor,nMinor,ploidy",
}


def _planted_copies(baseline: int) -> dict[str, np.ndarray]:
    """Per chromosome, the copy number of every base (0-based) of a sample with baseline copies and
    the planted events: one copy less on losses, one more on gains, the distal half of 19q lost."""
    genome = {}
    for chrom in segments.AUTOSOMES:
        copies = np.full(2 * ARM, baseline)
        for arm, offset in (("p", 0), ("q", ARM)):
            event = PLANTED.get(chrom + arm, 0.0)
            start = offset + (ARM // 2 if event == -0.5 else 0)
            copies[start:offset + ARM] += int(np.sign(event))
        genome[chrom] = copies
    return genome


def _segment_rows(sample: str, genome: dict[str, np.ndarray], fmt: str, rng, ploidy: float) -> list[str]:
    """The genome as 1-based inclusive segments cut at random (one-base segments among them), in ``fmt``."""
    rows = []
    for chrom, copies in genome.items():
        cuts = np.flatnonzero(np.diff(copies)) + 1  # where the copy number changes
        extra = rng.choice(np.arange(1, len(copies)), 6, replace=False)
        single = [ARM // 3, ARM // 3 + 1]  # a one-base segment: [ARM // 3, ARM // 3] in 0-based bases
        bounds = np.unique(np.concatenate([[0], cuts, extra, single, [len(copies)]]))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            cn = int(copies[a])
            if fmt == "log2":
                rows.append(f"{sample}\t{chrom}\t{a + 1}\t{b}\t10\t{np.log2(cn / round(ploidy)):.4f}")
            elif fmt == "copy_number":
                rows.append(f"{sample}\tchr{chrom}\t{a + 1}\t{b}\t{cn}")
            else:
                fields = [sample, f"chr{chrom}", str(a + 1), str(b), str(cn - cn // 2), str(cn // 2)]
                rows.append(",".join(fields + ([f"{ploidy}"] if fmt == "ascat_with_ploidy" else [])))
    return rows


def _naive_arm_values(genome: dict[str, np.ndarray], ploidy: float | None) -> dict[str, float]:
    """Base by base: the baseline from the given ploidy or the mean copy number of every base, each
    base called against it, each arm's mean call."""
    every_base = np.concatenate(list(genome.values()))
    baseline = round(every_base.mean() if ploidy is None else ploidy)
    out = {}
    for chrom, copies in genome.items():
        calls = np.where(copies >= baseline + 1, 1, np.where(copies <= baseline - 1, -1, 0))
        out[chrom + "p"], out[chrom + "q"] = calls[:ARM].mean(), calls[ARM:].mean()
    return out


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_planted_arm_events_are_called_in_diploid_and_doubled_genomes(tmp_path, cytobands, fmt):
    """A diploid and a whole-genome-doubled (near-tetraploid) sample with the same planted arm events:
    the arm calls equal the planted events and a naive base-by-base count, in every segment format
    (with diploid thresholds the doubled sample would have nearly every arm gained)."""
    rng = np.random.default_rng(1)
    samples = {"TCGA-02-0005-01A": 2.05, "TCGA-02-0006-01A": 3.85}  # ploidy as a caller would report it
    genomes = {sample: _planted_copies(round(ploidy)) for sample, ploidy in samples.items()}
    rows = [row for sample, ploidy in samples.items() for row in _segment_rows(sample, genomes[sample], fmt, rng,
                                                                                ploidy)]  # fmt: skip
    path = _segment_file(tmp_path, rows, header=FORMATS[fmt])
    issues = []
    table = segments.segment_file_to_arms(path, cytobands, issues)
    for sample, ploidy in samples.items():
        naive = _naive_arm_values(genomes[sample], ploidy if fmt == "ascat_with_ploidy" else None)
        planted = {arm: PLANTED.get(arm, 0.0) for arm in table.columns}
        assert table.loc[sample].to_dict() == pytest.approx(planted, abs=1e-6)
        assert table.loc[sample].to_dict() == pytest.approx({arm: naive[arm] for arm in table.columns}, abs=1e-6)
    listed = {issue.patient: issue for issue in issues if issue.field == "scna_ploidy"}
    if fmt == "log2":
        assert not issues  # centred log2 ratios: nothing to list
    else:
        assert set(listed) == {"all segment samples", "TCGA-02-0006"}  # the doubled sample, not the diploid one
        assert "ploidy 3.85" in listed["TCGA-02-0006"].reason if fmt == "ascat_with_ploidy" else True
        assert "gains called at >= 5 copies and losses at <= 3" in listed["TCGA-02-0006"].reason
        source = "ploidy column" if fmt == "ascat_with_ploidy" else "estimated"
        assert source in listed["all segment samples"].reason


def test_a_one_base_segment_is_valid_and_an_uncentred_log2_sample_is_listed(tmp_path, cytobands):
    rows = _covering("TCGA-02-0007-01A", 0.5) + ["TCGA-02-0007-01A\tchrY\t2781480\t2781480\t1\t-1.2"]
    path = _segment_file(tmp_path, rows)
    one_base = segments.read_segments(path)
    assert len(one_base) == len(rows) - 1  # chrY dropped, as every sex chromosome; no error
    issues = []
    segments.segment_file_to_arms(path, cytobands, issues)
    assert [(i.patient, i.field, i.value) for i in issues] == [("TCGA-02-0007", "scna_centring", 0.5)]


def test_the_curation_report_lists_a_doubled_sample_with_its_ploidy(tmp_path, cytobands, phantom_dir):
    from dataclasses import replace

    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    patients = pd.read_csv(phantom_dir / "tcga/clinical.csv")["Case"].iloc[:2].tolist()
    rng = np.random.default_rng(2)
    rows = (_segment_rows(f"{patients[0]}-01A", _planted_copies(4), "copy_number", rng, 4.0)
            + _segment_rows(f"{patients[1]}-01A", _planted_copies(2), "copy_number", rng, 2.0))  # fmt: skip
    sources = replace(CohortSources.phantom(phantom_dir), scna_genes=None, gene_to_arm=None, cytobands=cytobands,
                      scna_segments=_segment_file(tmp_path, rows, FORMATS["copy_number"]))  # fmt: skip
    _, report = build_manifest(sources)
    ploidy = report[report["field"] == "scna_ploidy"].set_index("patient")
    assert patients[0] in ploidy.index and patients[1] not in ploidy.index
    assert float(ploidy.loc[patients[0], "value"]) == pytest.approx(4.0, abs=0.1)
