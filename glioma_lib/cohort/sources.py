"""Where a cohort's inputs live (:class:`CohortSources`), and the record of them a run keeps so
that later steps (SCNA PCA, weak-mask scoring, analyses) find the same inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from glioma_lib.core.atomic import write_json
from glioma_lib.core.layout import RealDataFolder, RunLayout

BRATS_SPACING_MM = 1.0


@dataclass(frozen=True)
class CohortSources:
    """Where a cohort's inputs live; any may be None when that kind of data is absent. ``spacing_mm``:
    the voxel size its scans must have (BraTS: 1 mm; None for the phantom, reduced on purpose)."""

    clinical: Path
    name_mapping: Path | None = None
    brats_root: Path | None = None
    scna_genes: Path | None = None
    scna_arms: Path | None = None
    gene_to_arm: Path | None = None
    scna_segments: Path | None = None
    cytobands: Path | None = None
    spacing_mm: float | None = BRATS_SPACING_MM

    @classmethod
    def phantom(cls, root: str | Path) -> CohortSources:
        """The layout written by ``glioma cohort phantom``."""
        root = Path(root)
        return cls(clinical=root / "tcga/clinical.csv", name_mapping=root / "brats/name_mapping.csv",
                   brats_root=root / "brats", scna_genes=root / "tcga/scna_thresholded_by_genes.tsv",
                   gene_to_arm=root / "tcga/gene_to_arm.csv", spacing_mm=None)  # fmt: skip

    @classmethod
    def realdata(cls, root: str | Path, brats_root: str | Path | None = None,
                 scna_segments: str | Path | None = None, cytobands: str | Path | None = None) -> CohortSources:
        """The layout of ``shared/realdata`` (arm-level SCNA), with an optional BraTS folder; a segment
        file (with the cytoband table of its genome build) replaces the arm-level table."""
        files = RealDataFolder(root)
        segmented = scna_segments is not None
        return cls(clinical=files.clinical, name_mapping=files.name_mapping,
                   brats_root=None if brats_root is None else Path(brats_root),
                   scna_arms=None if segmented else files.arm_table, gene_to_arm=files.gene_to_arm,
                   scna_segments=Path(scna_segments) if segmented else None,
                   cytobands=None if cytobands is None else Path(cytobands))  # fmt: skip



def record_sources(sources: CohortSources, layout: RunLayout) -> Path:
    """Record the sources so later steps (SCNA PCA, weak-mask scoring) find the cohort's inputs."""
    return write_json({k: str(Path(v).resolve()) if isinstance(v, str | Path) else v
                       for k, v in vars(sources).items()}, layout.sources)  # fmt: skip


def load_sources(layout: RunLayout) -> CohortSources:
    """The sources the cohort step recorded (so later steps can read SCNA)."""
    recorded = json.loads(layout.sources.read_text())
    return CohortSources(**{k: Path(v) if isinstance(v, str) else v for k, v in recorded.items()})
