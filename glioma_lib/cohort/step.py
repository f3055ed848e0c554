"""The cohort step of the pipeline: make or locate the sources, then write the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glioma_lib.cohort.manifest import CohortSources, build_manifest, write_manifest
from glioma_lib.cohort.phantom import PhantomConfig, generate
from glioma_lib.core.atomic import write_json
from glioma_lib.core.layout import RunLayout


def sources_for(cohort: dict[str, Any], layout: RunLayout) -> CohortSources:
    """The sources a profile's ``cohort`` section names; generates the phantom once if needed
    (with ``cohort["workers"]`` processes)."""
    if cohort["source"] == "phantom":
        settings = dict(cohort.get("phantom", {}))
        if "shape" in settings:
            settings["shape"] = tuple(settings["shape"])
        root = layout.synthetic
        if not root.exists():  # generation is atomic: an existing folder is complete
            generate(root, PhantomConfig(**settings), workers=cohort.get("workers", 1))
        return CohortSources.phantom(root)
    if cohort["source"] == "real":
        real = cohort["real"]
        return CohortSources.realdata(real["realdata"], real.get("brats_root"), real.get("scna_segments"),
                                      real.get("cytobands"))
    raise ValueError(f"unknown cohort source {cohort['source']!r}; expected 'phantom' or 'real'")


def prepare_cohort(cohort: dict[str, Any], layout: RunLayout) -> Path:
    """Write the manifest (parquet and csv), the curation report and the sources record."""
    sources = sources_for(cohort, layout)
    real = cohort["source"] == "real"
    manifest, report = build_manifest(
        sources,
        validation_fraction=cohort.get("validation_fraction", 0.25),
        seed=cohort.get("seed", 0),
        require_all_mapped=cohort.get("real", {}).get("require_all_mapped", True) if real else True,
        accept_unusual_geometry=cohort.get("accept_unusual_geometry", False),
        split_requires=tuple(cohort.get("split_requires", ["mr"])),
    )
    write_manifest(manifest, report, layout.cohort_folder)
    record_sources(sources, layout)
    return layout.manifest


def record_sources(sources: CohortSources, layout: RunLayout) -> Path:
    """Record the sources so later steps (SCNA PCA, weak-mask scoring) find the cohort's inputs."""
    return write_json({k: str(Path(v).resolve()) if isinstance(v, str | Path) else v
                       for k, v in vars(sources).items()}, layout.sources)  # fmt: skip


def load_sources(layout: RunLayout) -> CohortSources:
    """The sources recorded by :func:`prepare_cohort` (so later steps can read SCNA)."""
    import json

    recorded = json.loads(layout.sources.read_text())
    return CohortSources(**{k: Path(v) if isinstance(v, str) else v for k, v in recorded.items()})
