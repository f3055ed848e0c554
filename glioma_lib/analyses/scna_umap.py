"""UMAP of SCNA profiles coloured by WHO subtype (the paper's Fig. 5), with silhouettes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_samples


def umap_embedding(features: pd.DataFrame, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1) -> pd.DataFrame:
    """Two-dimensional UMAP of patients x features; seeded, so the same inputs give the same map."""
    import umap  # imported here: numba compiles it on first use (10-15 s)

    reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(features) - 1), min_dist=min_dist,
                        random_state=seed)  # fmt: skip
    coordinates = reducer.fit_transform(features.to_numpy(dtype=float))
    return pd.DataFrame(coordinates, index=features.index, columns=["UMAP1", "UMAP2"])


def silhouettes(coordinates: pd.DataFrame, subtype: pd.Series) -> pd.DataFrame:
    """Mean silhouette per subtype (and overall) of the 2-D embedding; patients without subtype dropped."""
    labelled = subtype.reindex(coordinates.index).dropna()
    values = silhouette_samples(coordinates.loc[labelled.index].to_numpy(), labelled.to_numpy())
    per = pd.Series(values, index=labelled.index).groupby(labelled).agg(["mean", "count"])
    per.loc["overall"] = [float(np.mean(values)), len(values)]
    return per.rename(columns={"mean": "silhouette", "count": "patients"})
