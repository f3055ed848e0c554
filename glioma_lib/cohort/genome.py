"""Chromosome arms (hg19) and the driver genes the synthetic SCNA plants.

Arm lengths are hg19 chromosome lengths split at the centromere, in megabases; the 40 arms are
those of the TCGA arm-level tables (no 13p/14p/15p/22p, no sex chromosomes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ARM_LENGTHS_MB: dict[str, float] = {
    "1p": 125.0, "1q": 124.3, "2p": 93.3, "2q": 149.9, "3p": 91.0, "3q": 107.0,
    "4p": 50.4, "4q": 140.8, "5p": 48.4, "5q": 132.5, "6p": 61.0, "6q": 110.1,
    "7p": 59.9, "7q": 99.2, "8p": 45.6, "8q": 100.8, "9p": 49.0, "9q": 92.2,
    "10p": 40.2, "10q": 95.3, "11p": 53.7, "11q": 81.3, "12p": 35.8, "12q": 98.1,
    "13q": 97.3, "14q": 89.7, "15q": 83.5, "16p": 36.6, "16q": 53.8, "17p": 24.0,
    "17q": 57.2, "18p": 17.2, "18q": 60.9, "19p": 26.5, "19q": 32.6, "20p": 27.5,
    "20q": 35.5, "21p": 13.2, "21q": 34.9, "22q": 36.6,
}  # fmt: skip

# Relative gene density: gene-rich chromosomes (17, 19, 22) and gene-poor ones (4, 13, 18, 21p).
GENE_DENSITY = {"19": 3.0, "17": 2.0, "22": 1.8, "16": 1.4, "1": 1.3, "11": 1.3,
                "4": 0.6, "13": 0.6, "18": 0.6, "5": 0.8, "21": 0.7}  # fmt: skip

# Driver genes the simulator places on their true arms (cytobands from hg19).
DRIVER_GENES = {
    "EGFR": ("7p", "7p11.2"), "MET": ("7q", "7q31.2"), "CDKN2A": ("9p", "9p21.3"),
    "CDKN2B": ("9p", "9p21.3"), "PTEN": ("10q", "10q23.31"), "CDK4": ("12q", "12q14.1"),
    "MDM2": ("12q", "12q15"), "PDGFRA": ("4q", "4q12"), "MYC": ("8q", "8q24.21"),
    "RB1": ("13q", "13q14.2"), "NF1": ("17q", "17q11.2"), "TP53": ("17p", "17p13.1"),
    "CIC": ("19q", "19q13.2"), "FUBP1": ("1p", "1p31.1"),
}  # fmt: skip


def chromosome_of(arm: str) -> str:
    """'10q' -> '10'."""
    return arm[:-1]


def synthetic_gene_map(n_genes: int = 2000) -> pd.DataFrame:
    """A gene-to-arm map in the layout of the real ``gene_to_arm`` table, ordered along the genome.

    Genes per arm follow arm length times gene density; driver genes sit on their true arms,
    in the middle of the arm's gene list so that focal events around them stay inside the arm.
    """
    arms = list(ARM_LENGTHS_MB)
    weight = np.array([ARM_LENGTHS_MB[a] * GENE_DENSITY.get(chromosome_of(a), 1.0) for a in arms])
    counts = np.maximum(3, np.round(n_genes * weight / weight.sum()).astype(int))
    rows = []
    locus = 1
    for arm, count in zip(arms, counts, strict=True):
        chrom = chromosome_of(arm)
        names = [f"SYN{arm.upper()}{k:04d}" for k in range(count)]
        drivers = [g for g, (a, _) in DRIVER_GENES.items() if a == arm]
        for offset, gene in enumerate(drivers):
            names[count // 2 + offset] = gene
        for name in names:
            band = DRIVER_GENES[name][1] if name in DRIVER_GENES else f"{arm}1"
            rows.append((f"{name}|chr{chrom}", locus, band, chrom, arm))
            locus += 1
    return pd.DataFrame(rows, columns=["Gene Symbol", "Locus ID", "Cytoband", "chr", "chr_arm"])
