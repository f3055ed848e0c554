"""The cohort step of the pipeline: make or locate the sources, then write the manifest."""

from __future__ import annotations

from pathlib import Path

from glioma_lib.cohort.manifest import build_manifest, write_manifest
from glioma_lib.cohort.phantom import PhantomConfig, ceilings, generate
from glioma_lib.cohort.sources import CohortSources, record_sources
from glioma_lib.config.schema import CohortSettings
from glioma_lib.core.atomic import write_table
from glioma_lib.core.layout import RunLayout


def phantom_config(settings: CohortSettings) -> PhantomConfig:
    """The simulator's settings of a phantom cohort."""
    return PhantomConfig(n_mr=settings.n_mr, n_scna_only=settings.n_scna_only, shape=tuple(settings.shape),
                         seed=settings.phantom_seed)  # fmt: skip


def sources_for(settings: CohortSettings, layout: RunLayout) -> CohortSources:
    """The sources the cohort settings name; generates the phantom once if needed (with
    ``settings.workers`` processes)."""
    if settings.source == "phantom":
        root = layout.synthetic
        if not root.exists():  # generation is atomic: an existing folder is complete
            generate(root, phantom_config(settings), workers=settings.workers)
        return CohortSources.phantom(root)
    return CohortSources.realdata(settings.realdata, settings.brats_root, settings.scna_segments, settings.cytobands)


def prepare_cohort(settings: CohortSettings, layout: RunLayout) -> Path:
    """Write the manifest (parquet and csv), the curation report and the sources record."""
    sources = sources_for(settings, layout)
    manifest, report = build_manifest(
        sources,
        validation_fraction=settings.validation_fraction,
        seed=settings.split_seed,
        require_all_mapped=settings.require_all_mapped if settings.source == "real" else True,
        accept_unusual_geometry=settings.accept_unusual_geometry,
        split_requires=tuple(settings.split_requires),
    )
    write_manifest(manifest, report, layout.cohort_folder)
    record_sources(sources, layout)
    if settings.source == "phantom":  # the simulator's oracle: what no model of this cohort can exceed
        write_table(ceilings(phantom_config(settings)), layout.ceilings)
    else:
        layout.ceilings.unlink(missing_ok=True)  # real data has no planted truth
    return layout.manifest
