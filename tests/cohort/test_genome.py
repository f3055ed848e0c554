"""The synthetic genome: the TCGA arm set, and driver genes on their true arms."""

from __future__ import annotations

from glioma_lib.cohort.genome import ARM_LENGTHS_MB, DRIVER_GENES, chromosome_of, synthetic_gene_map


def test_gene_map_covers_every_arm_with_drivers_on_their_arms():
    genes = synthetic_gene_map(500)  # the layout of the real gene_to_arm table
    assert len(ARM_LENGTHS_MB) == 40 and set(genes["chr_arm"]) == set(ARM_LENGTHS_MB)
    by_gene = genes.set_index(genes["Gene Symbol"].str.split("|").str[0])["chr_arm"]
    assert all(by_gene[gene] == arm for gene, (arm, _) in DRIVER_GENES.items())
    assert chromosome_of("10q") == "10" and chromosome_of("1p") == "1"
