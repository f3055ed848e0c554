"""The cohort step of the pipeline: make or locate the sources, then write the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glioma_lib.atomic import write_json
from glioma_lib.cohort.manifest import CohortSources, build_manifest, write_manifest
from glioma_lib.cohort.phantom import PhantomConfig, generate


def sources_for(cohort: dict[str, Any], cohort_dir: str | Path) -> CohortSources:
    """The sources a profile's ``cohort`` section names; generates the phantom once if needed
    (with ``cohort["workers"]`` processes)."""
    cohort_dir = Path(cohort_dir)
    if cohort["source"] == "phantom":
        settings = dict(cohort.get("phantom", {}))
        if "shape" in settings:
            settings["shape"] = tuple(settings["shape"])
        root = cohort_dir / "synthetic"
        if not root.exists():  # generation is atomic: an existing folder is complete
            generate(root, PhantomConfig(**settings), workers=cohort.get("workers", 1))
        return CohortSources.phantom(root)
    if cohort["source"] == "real":
        real = cohort["real"]
        return CohortSources.realdata(real["realdata"], real.get("brats_root"))
    raise ValueError(f"unknown cohort source {cohort['source']!r}; expected 'phantom' or 'real'")


def prepare_cohort(cohort: dict[str, Any], cohort_dir: str | Path) -> Path:
    """Write ``manifest.parquet``/``.csv`` and ``curation_report.csv`` under ``cohort_dir``."""
    sources = sources_for(cohort, cohort_dir)
    manifest, report = build_manifest(
        sources,
        validation_fraction=cohort.get("validation_fraction", 0.25),
        seed=cohort.get("seed", 0),
        require_all_mapped=cohort.get("real", {}).get("require_all_mapped", True)
        if cohort["source"] == "real" else True,
    )
    path = write_manifest(manifest, report, cohort_dir)
    record_sources(sources, cohort_dir)
    return path


def record_sources(sources: CohortSources, cohort_dir: str | Path) -> Path:
    """Write ``sources.json`` so later steps (SCNA PCA, weak-mask scoring) find the cohort's inputs."""
    return write_json({k: None if v is None else str(Path(v).resolve()) for k, v in vars(sources).items()},
                      Path(cohort_dir) / "sources.json")


def load_sources(cohort_dir: str | Path) -> CohortSources:
    """The sources recorded by :func:`prepare_cohort` (so later steps can read SCNA)."""
    import json

    recorded = json.loads((Path(cohort_dir) / "sources.json").read_text())
    return CohortSources(**{k: None if v is None else Path(v) for k, v in recorded.items()})
