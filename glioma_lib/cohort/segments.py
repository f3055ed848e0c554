"""Segment-level copy number (GDC, ASCAT, GISTIC or CBS ``.seg`` files) summarised to chromosome arms.

Researchers download SCNA as segments: one row per sample and genomic interval, with a log2 ratio
(``Segment_Mean``) or an absolute copy number (``Copy_Number``, ASCAT's ``nMajor`` + ``nMinor``).
The project's SCNA input is arm level, so each sample's segments are called gained (+1), lost (-1)
or neutral (0) and summarised per arm as the length-weighted mean call over the part of the arm
its segments cover: the arm-level table's scale, -1 for a whole arm lost, +1 for one gained, and 0
for an arm without any segment (no call). Arms come from the cytoband table of the segments' genome
build (UCSC ``cytoBand.txt`` for hg19 or hg38, given by the user); bioframe does the overlaps.
Autosomes only, as the arm-level table; arms that no sample's segments touch (the short arms of
the acrocentric chromosomes, usually) are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import bioframe
import numpy as np
import pandas as pd

from glioma_lib.cohort.readers import TCGA_BARCODE, patient_of_barcode, read_table
from glioma_lib.core.errors import InputDataError

LOG2_GAIN, LOG2_LOSS = 0.2, -0.2  # log2 ratio (tumour / normal) beyond which a segment is called
COPY_GAIN, COPY_LOSS = 3, 1  # absolute copy numbers called gained and lost (a diploid genome)
AUTOSOMES = [str(n) for n in range(1, 23)]

# Accepted column names, compared in lower case without punctuation ("loc.start" -> "locstart").
SEGMENT_COLUMNS = {
    "sample": ("sample", "sampleid", "id", "barcode", "samplebarcode", "tumorsamplebarcode", "gdcaliquot"),
    "chrom": ("chromosome", "chrom", "chr"),
    "start": ("start", "locstart", "startposition", "startpos", "chromstart"),
    "end": ("end", "locend", "endposition", "endpos", "chromend"),
    "log2": ("segmentmean", "segmean", "log2", "log2ratio", "log2r"),
    "copies": ("copynumber", "totalcn", "totalcopynumber"),
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


def read_segments(path: str | Path) -> pd.DataFrame:
    """A segment file (CSV or TSV, by content) as columns sample, chrom, start, end, call (-1, 0, +1).

    Example:
        >>> read_segments("TCGA_GBM_LGG.seg").head(1)  # doctest: +SKIP
                     sample chrom  start     end  call
        0  TCGA-02-0001-01A     1  61735  2.1e7     0
    """
    table = read_table(path, dtype=str)
    columns = {role: _find(table, role) for role in SEGMENT_COLUMNS}
    ascat = {_normalised(c): c for c in table.columns}.keys() >= {"nmajor", "nminor"}
    missing = [r for r in ("sample", "chrom", "start", "end") if columns[r] is None]
    if missing or not (columns["log2"] or columns["copies"] or ascat):
        wanted = [*missing, *([] if columns["log2"] or columns["copies"] or ascat else ["log2 ratio or copy number"])]
        raise InputDataError(f"a segment table needs columns for {wanted} (sample, chromosome, start, end, and "
                             f"Segment_Mean or Copy_Number); found {list(table.columns)}", path=path)  # fmt: skip
    out = pd.DataFrame({"sample": table[columns["sample"]].str.strip(), "chrom": _chromosome(table[columns["chrom"]])})
    numbers = {}
    for role in ("start", "end", "log2", "copies"):
        if columns[role] is not None:
            numbers[role] = pd.to_numeric(table[columns[role]], errors="coerce")
    if ascat and not (columns["log2"] or columns["copies"]):
        by_name = {_normalised(c): c for c in table.columns}
        numbers["copies"] = sum(pd.to_numeric(table[by_name[n]], errors="coerce") for n in ("nmajor", "nminor"))
    for role, values in numbers.items():
        bad = values.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputDataError(f"segment row {row + 2} has a non-numeric {role} value", out["sample"].iat[row], path)
    out["start"], out["end"] = numbers["start"].astype(np.int64), numbers["end"].astype(np.int64)
    backwards = out["end"] <= out["start"]
    if backwards.any():
        row = int(np.flatnonzero(backwards.to_numpy())[0])
        raise InputDataError(f"segment row {row + 2} ends before it starts", out["sample"].iat[row], path)
    not_tcga = ~out["sample"].map(lambda s: bool(TCGA_BARCODE.match(patient_of_barcode(s))))
    if not_tcga.any():
        raise InputDataError("segment samples must be TCGA barcodes (TCGA-XX-XXXX-01A...) to link to patients; "
                             "GDC files name aliquots by UUID: map them to barcodes with the GDC sample sheet first",
                             out["sample"][not_tcga].iloc[0], path)  # fmt: skip
    if "log2" in numbers:
        values, gain, loss = numbers["log2"], LOG2_GAIN, LOG2_LOSS
        out["call"] = np.select([values > gain, values < loss], [1, -1], 0)
    else:
        values = numbers["copies"]
        out["call"] = np.select([values >= COPY_GAIN, values <= COPY_LOSS], [1, -1], 0)
    return out[out["chrom"].isin(AUTOSOMES)].reset_index(drop=True)


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
    it has none); arms without a segment in any sample are left out. Arms ordered as the genome."""
    overlaps = bioframe.overlap(segments, arms, how="inner", suffixes=("", "_arm"), return_overlap=True)
    overlaps["length"] = overlaps["overlap_end"] - overlaps["overlap_start"]
    overlaps["weighted"] = overlaps["call"] * overlaps["length"]
    sums = overlaps.groupby(["sample", "arm_arm"])[["weighted", "length"]].sum()
    table = (sums["weighted"] / sums["length"]).unstack(fill_value=np.nan)
    table = table.reindex(index=pd.unique(segments["sample"]), columns=[a for a in arms["arm"] if a in table.columns])
    table.columns.name, table.index.name = None, "sample"
    return table.fillna(0.0)
