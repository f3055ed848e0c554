"""The pipeline's steps as functions of a run folder: what each notebook calls to do its work."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from glioma_lib.atomic import write_table
from glioma_lib.cohort.manifest import load_scna, read_manifest
from glioma_lib.cohort.prepare import load_sources
from glioma_lib.inputs.cache import build_cache
from glioma_lib.inputs.formats import get_format
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.inputs.scna import ScnaPCA
from glioma_lib.layout import RunLayout
from glioma_lib.training import TrainConfig, train_run


def scna_embedding(layout: RunLayout, n_components: int = 50) -> pd.DataFrame | None:
    """SCNA principal components of every SCNA patient (PCA fitted once per run, without validation)."""
    manifest = read_manifest(layout.manifest)
    scna = load_scna(load_sources(layout.cohort))
    if scna is None:
        return None
    if layout.scna_pca.exists():
        pca = ScnaPCA.load(layout.scna_pca)
    else:
        pca = ScnaPCA.fit(scna, manifest, n_components)
        pca.save(layout.scna_pca)
    scores = pca.transform(scna)
    ids = manifest.dropna(subset=["tcga_id"]).set_index("tcga_id")["patient_id"]
    scores = scores[scores.index.isin(ids.index)]
    scores.index = ids.loc[scores.index].to_numpy()
    return scores


def cache_format(layout: RunLayout, input_format: str, spec: PreprocessSpec, progress: bool = True) -> pd.DataFrame:
    """Build (or reuse) the cache of one format; the index is saved beside the cache."""
    manifest = read_manifest(layout.manifest)
    weak_dir = layout.weak_masks if layout.weak_masks.exists() else None
    index = build_cache(manifest, get_format(input_format), spec, layout.cache, weak_dir, progress)
    return index


def subtype_training(layout: RunLayout, config: TrainConfig, spec: PreprocessSpec, pca_dim: int = 50,
                     progress: bool = True) -> Path:
    """Train one (task, format, model, SCNA) run; returns its folder."""
    out_dir = layout.train(config.task, config.input_format, config.model, config.use_scna)
    manifest = read_manifest(layout.manifest)
    index = cache_format(layout, config.input_format, spec, progress)
    scna = scna_embedding(layout, pca_dim) if config.use_scna else None
    teacher = layout.teacher / "teacher.pt"
    if config.teacher_checkpoint is None and teacher.exists():
        config = replace(config, teacher_checkpoint=str(teacher))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(index, out_dir / "cache_index.csv")  # crops and fallbacks, per patient
    train_run(manifest, index, config, out_dir, scna, progress)
    return out_dir
