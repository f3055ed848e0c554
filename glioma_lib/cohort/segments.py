"""Segment-level copy number (GDC, ASCAT, ABSOLUTE, GISTIC or CBS ``.seg`` files) summarised to chromosome arms.

Researchers download SCNA as segments: one row per sample and genomic interval, with a log2 ratio
(``Segment_Mean``) or an absolute copy number (``Copy_Number``, ASCAT's ``nMajor`` + ``nMinor``).
The project's SCNA input is arm level, so each sample's segments are called gained (+1), lost (-1)
or neutral (0) and summarised per arm as the length-weighted mean call over the part of the arm
its segments cover: the arm-level table's scale, -1 for a whole arm lost, +1 for one gained, and 0
for an arm without any segment (no call). Arms come from the cytoband table of the segments' genome
build (UCSC ``cytoBand.txt`` for hg19 or hg38, given by the user); bioframe does the overlaps.
Autosomes only, as the arm-level table; arms that no sample's segments touch (the short arms of
the acrocentric chromosomes, usually) are left out.

**Absolute copy number is called relative to the sample's ploidy.** Whole-genome doubling is
common in gliomas: a near-tetraploid tumour carries four copies of most of its genome, and fixed
diploid thresholds would call nearly every arm gained. The baseline of each sample is its ploidy
rounded to a whole number: the file's ploidy column when it has one (ASCAT and ABSOLUTE write one),
else the length-weighted mean total copy number over its autosomal segments. A segment is gained
at baseline + 1 copies or more, lost at baseline - 1 or fewer. :func:`ploidy_lines` lists every
sample whose baseline is not 2 for the curation report, and says where each ploidy came from.

**Log2 ratios are used as the file gives them, not re-centred.** Segmentation pipelines (GDC's
DNAcopy segments, GISTIC's inputs) already centre each sample on its median copy number, so a
doubled genome shows as log2 0 there. A sample whose length-weighted median log2 lies beyond the
calling thresholds is listed in the curation report (its calls are then shifted; centre it before).

**Coordinates are 1-based and inclusive**, as in GDC, ASCAT and CBS segment files: a segment from
``start`` to ``end`` covers ``end - start + 1`` bases, so a one-base segment (``start == end``) is
valid; only ``end < start`` is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import bioframe
import numpy as np
import pandas as pd

from glioma_lib.cohort.brats import TCGA_BARCODE
from glioma_lib.cohort.tables import CurationIssue, read_table
from glioma_lib.cohort.tcga import patient_of_barcode
from glioma_lib.core.errors import InputDataError

LOG2_GAIN, LOG2_LOSS = 0.2, -0.2  # log2 ratio (tumour / normal) beyond which a segment is called
DIPLOID = 2  # the baseline (copies) of a sample whose ploidy rounds to 2
AUTOSOMES = [str(n) for n in range(1, 23)]

# Accepted column names, compared in lower case without punctuation ("loc.start" -> "locstart").
SEGMENT_COLUMNS = {
    "sample": ("sample", "sampleid", "id", "barcode", "samplebarcode", "tumorsamplebarcode", "gdcaliquot"),
    "chrom": ("chromosome", "chrom", "chr"),
    "start": ("start", "locstart", "startposition", "startpos", "chromstart"),
    "end": ("end", "locend", "endposition", "endpos", "chromend"),
    "log2": ("segmentmean", "segmean", "log2", "log2ratio", "log2r"),
    "copies": ("copynumber", "totalcn", "totalcopynumber", "modalcn"),
    "ploidy": ("ploidy", "tumourploidy", "tumorploidy", "ascatploidy"),
}  # fmt: skip


def _normalised(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _chromosome(names: pd.Series) -> pd.Series:
    """'chr1', '1' -> '1'; 23 and 24 (as some tools write X and Y) -> 'X', 'Y'."""
    plain = names.astype(str).str.strip().str.replace(r"^chr", "", regex=True, flags=re.IGNORECASE)
    return plain.replace({"23": "X", "24": "Y"})


def _find(table: pd.DataFrame, role: str) -> str | None:
    by_name = {_normalised(c): c for c in table.columns}
    return next((by_name[n] for n in SEGMENT_COLUMNS[role] if n in by_name), None)


def read_segments(path: str | Path, tcga: bool = True) -> pd.DataFrame:
    """A segment file (CSV or TSV, by content) as columns sample, chrom, start, end (half-open,
    0-based, as bioframe counts), and ``log2`` or ``copies`` (total copy number), plus ``ploidy``
    when the file has that column. ``tcga``: samples must be TCGA barcodes (to link to patients).

    Example:
        >>> read_segments("TCGA_GBM_LGG.seg").head(1)  # doctest: +SKIP
                     sample chrom  start       end   log2
        0  TCGA-02-0001-01A     1  61734  21000000  0.01
    """
    table = read_table(path, dtype=str)
    columns = {role: _find(table, role) for role in SEGMENT_COLUMNS}
    ascat = {_normalised(c): c for c in table.columns}.keys() >= {"nmajor", "nminor"}
    has_value = bool(columns["log2"] or columns["copies"] or ascat)
    missing = [r for r in ("sample", "chrom", "start", "end") if columns[r] is None]
    if missing or not has_value:
        wanted = [*missing, *([] if has_value else ["log2 ratio or copy number"])]
        raise InputDataError(f"a segment table needs columns for {wanted} (sample, chromosome, start, end, and "
                             f"Segment_Mean or Copy_Number); found {list(table.columns)}", path=path)  # fmt: skip
    out = pd.DataFrame({"sample": table[columns["sample"]].str.strip(), "chrom": _chromosome(table[columns["chrom"]])})
    numbers = {role: pd.to_numeric(table[columns[role]], errors="coerce")
               for role in ("start", "end", "log2", "copies", "ploidy") if columns[role] is not None}  # fmt: skip
    if ascat and not (columns["log2"] or columns["copies"]):
        by_name = {_normalised(c): c for c in table.columns}
        numbers["copies"] = sum(pd.to_numeric(table[by_name[n]], errors="coerce") for n in ("nmajor", "nminor"))
    for role, values in numbers.items():
        bad = values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(f"segment row {row + 2} has a non-numeric {role} value", out["sample"].iat[row], path)
    start, end = numbers["start"].astype(np.int64), numbers["end"].astype(np.int64)
    backwards = end < start
    if backwards.any():
        row = int(np.flatnonzero(backwards.to_numpy())[0])
        raise InputDataError(f"segment row {row + 2} ends before it starts ({end.iat[row]} < {start.iat[row]}; "
                             "coordinates are read as 1-based and inclusive)",
                             out["sample"].iat[row], path)  # fmt: skip
    out["start"], out["end"] = (start - 1).clip(lower=0), end
    if tcga:
        not_tcga = ~out["sample"].map(lambda s: bool(TCGA_BARCODE.match(patient_of_barcode(s))))
        if not_tcga.any():
            raise InputDataError("segment samples must be TCGA barcodes (TCGA-XX-XXXX-01A...) to link to patients; "
                                 "GDC files name aliquots by UUID: map them to barcodes with the GDC sample sheet "
                                 "first", out["sample"][not_tcga].iloc[0], path)  # fmt: skip
    value = "log2" if "log2" in numbers else "copies"
    out[value] = numbers[value].to_numpy(float)
    if "ploidy" in numbers:
        out["ploidy"] = numbers["ploidy"].to_numpy(float)
    return out[out["chrom"].isin(AUTOSOMES)].reset_index(drop=True)


def sample_ploidy(segments: pd.DataFrame) -> pd.DataFrame:
    """Per sample of an absolute copy-number table: ``ploidy`` (the file's column, else the
    length-weighted mean total copy number over its autosomal segments), ``source`` of that value
    and the ``baseline`` (ploidy rounded, at least 1) that calls are made against."""
    lengths = segments["end"] - segments["start"]
    estimated = (segments["copies"] * lengths).groupby(segments["sample"], sort=False).sum() / lengths.groupby(
        segments["sample"], sort=False).sum()  # fmt: skip
    if "ploidy" in segments:
        given = segments.groupby("sample", sort=False)["ploidy"]
        if (given.nunique() > 1).any():
            sample = given.nunique().pipe(lambda n: n[n > 1]).index[0]
            raise InputDataError("the ploidy column differs between segments of one sample", sample)
        ploidy, source = given.first(), "the file's ploidy column"
    else:
        ploidy, source = estimated, "estimated: length-weighted mean copy number over the autosomes"
    table = pd.DataFrame({"ploidy": ploidy, "source": source})
    table["baseline"] = np.maximum(1, np.round(table["ploidy"])).astype(int)
    table.index.name = "sample"
    return table


def call_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """``segments`` with a ``call`` column: log2 ratios beyond +-0.2; absolute copy numbers at least
    one copy above (+1) or below (-1) the sample's baseline (:func:`sample_ploidy`)."""
    out = segments.copy()
    if "log2" in out:
        out["call"] = np.select([out["log2"] > LOG2_GAIN, out["log2"] < LOG2_LOSS], [1, -1], 0)
        return out
    baseline = out["sample"].map(sample_ploidy(out)["baseline"])
    out["call"] = np.select([out["copies"] >= baseline + 1, out["copies"] <= baseline - 1], [1, -1], 0)
    return out


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def ploidy_lines(segments: pd.DataFrame, path: str | Path, patient_of=patient_of_barcode) -> list[CurationIssue]:
    """Curation lines: for absolute copy number, where the ploidy came from and every sample whose
    baseline is not 2 with its value; for log2 ratios, every sample whose length-weighted median
    log2 lies beyond the calling thresholds (not centred)."""
    source = str(path)
    if "log2" in segments:
        lines = []
        for sample, part in segments.groupby("sample", sort=False):
            median = _weighted_median(part["log2"].to_numpy(), (part["end"] - part["start"]).to_numpy(float))
            if not LOG2_LOSS <= median <= LOG2_GAIN:
                reason = (f"sample {sample}: median log2 ratio {median:+.2f}, beyond the calling thresholds; its "
                          "arm calls are shifted (centre it first)")
                lines.append(CurationIssue(patient_of(sample), "scna_centring", round(median, 3), reason, source))
        return lines
    ploidy = sample_ploidy(segments)
    lines = [CurationIssue("all segment samples", "scna_ploidy", ploidy["source"].iat[0],
                           f"absolute copy number called relative to each sample's ploidy ({ploidy['source'].iat[0]}),"
                           f" rounded; {int((ploidy['baseline'] != DIPLOID).sum())} of {len(ploidy)} samples not "
                           "about diploid are listed", source)]  # fmt: skip
    for sample, row in ploidy[ploidy["baseline"] != DIPLOID].iterrows():
        lines.append(CurationIssue(patient_of(sample), "scna_ploidy", round(float(row["ploidy"]), 2),
                                   f"sample {sample}: ploidy {row['ploidy']:.2f}, gains called at >= "
                                   f"{row['baseline'] + 1} copies and losses at <= {row['baseline'] - 1}",
                                   source))  # fmt: skip
    return lines


def read_cytobands(path: str | Path) -> pd.DataFrame:
    """A cytoband table (UCSC ``cytoBand.txt``: chrom, start, end, band, stain; a header line optional)
    as the autosomal chromosome arms: columns chrom, start, end, arm (e.g. '1p', '19q')."""
    bands = read_table(path, header=None, dtype=str)
    if len(bands) and not str(bands.iat[0, 1]).strip().isdigit():
        bands = bands.iloc[1:]  # a header line
    if bands.shape[1] < 4:
        raise InputDataError(f"a cytoband table needs chrom, start, end and band columns; found {bands.shape[1]} "
                             "columns (UCSC cytoBand.txt for the segments' genome build)", path=path)  # fmt: skip
    bands = pd.DataFrame({"chrom": _chromosome(bands[0]), "start": pd.to_numeric(bands[1], errors="coerce"),
                          "end": pd.to_numeric(bands[2], errors="coerce"), "band": bands[3].astype(str).str.strip()})
    if bands[["start", "end"]].isna().any().any():
        raise InputDataError("a cytoband table has a non-numeric start or end", path=path)
    bands = bands[bands["chrom"].isin(AUTOSOMES) & bands["band"].str[:1].isin(["p", "q"])]
    arms = (bands.assign(arm=bands["chrom"] + bands["band"].str[:1]).groupby(["chrom", "arm"], sort=False)
            .agg(start=("start", "min"), end=("end", "max")).reset_index())  # fmt: skip
    if arms["chrom"].nunique() < len(AUTOSOMES):
        absent = sorted(set(AUTOSOMES) - set(arms["chrom"]), key=int)
        raise InputDataError(f"the cytoband table lacks chromosomes {absent}", path=path)
    return arms[["chrom", "start", "end", "arm"]].astype({"start": np.int64, "end": np.int64})


def segments_to_arms(segments: pd.DataFrame, arms: pd.DataFrame) -> pd.DataFrame:
    """Samples x arms: each arm's length-weighted mean call over the sample's segments on it (0 where
    it has none); arms without a segment in any sample are left out. Arms ordered as the genome.
    ``segments`` are called first (:func:`call_segments`) unless they carry a ``call`` column."""
    if "call" not in segments:
        segments = call_segments(segments)
    overlaps = bioframe.overlap(segments, arms, how="inner", suffixes=("", "_arm"), return_overlap=True)
    overlaps["length"] = overlaps["overlap_end"] - overlaps["overlap_start"]
    overlaps["weighted"] = overlaps["call"] * overlaps["length"]
    sums = overlaps.groupby(["sample", "arm_arm"])[["weighted", "length"]].sum()
    table = (sums["weighted"] / sums["length"]).unstack(fill_value=np.nan)
    table = table.reindex(index=pd.unique(segments["sample"]), columns=[a for a in arms["arm"] if a in table.columns])
    table.columns.name, table.index.name = None, "sample"
    return table.fillna(0.0)


def segment_file_to_arms(path: str | Path, cytobands: str | Path, issues: list | None = None, tcga: bool = True,
                         patient_of=patient_of_barcode) -> pd.DataFrame:
    """Read, call and summarise a segment file to samples x arms; its ploidy (or centring) lines
    are appended to ``issues``."""
    table = read_segments(path, tcga=tcga)
    if issues is not None:
        issues.extend(ploidy_lines(table, path, patient_of))
    return segments_to_arms(table, read_cytobands(cytobands))
