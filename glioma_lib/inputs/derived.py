"""A run folder's derived data, which later stages read: the preprocessing cache of a format and
the SCNA principal components, each built on first use and shared by every run of the folder.
(No notebook of its own: the training, survival and results steps call these.)"""

from __future__ import annotations

import pandas as pd

from glioma_lib.cohort.manifest import load_scna, read_manifest
from glioma_lib.cohort.sources import load_sources
from glioma_lib.core.layout import RunLayout
from glioma_lib.inputs.cache import build_cache
from glioma_lib.inputs.formats import get_format
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.inputs.scna import ScnaPCA


def scna_embedding(layout: RunLayout, n_components: int = 50) -> pd.DataFrame | None:
    """SCNA principal components of every SCNA patient (PCA fitted without validation patients; the
    fit is saved to ``derived/scna_pca.npz`` and replaced whenever the dimension or patients change)."""
    manifest = read_manifest(layout.manifest)
    scna = load_scna(load_sources(layout))
    if scna is None:
        return None
    pca = ScnaPCA.fit(scna, manifest, n_components)  # deterministic and cheap: the saved copy is provenance
    if not layout.scna_pca.exists() or not ScnaPCA.load(layout.scna_pca).same_as(pca):
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
