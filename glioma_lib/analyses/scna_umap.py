"""UMAP of SCNA profiles coloured by WHO subtype (the paper's Fig. 5), and how separable the
subtypes are.

A silhouette in the 2-D embedding judges the picture, not the data: UMAP keeps neighbourhoods, not
distances, and a compact group that sits next to another scores low although every patient's
neighbours share its subtype (the co-deleted group on the real table: silhouette about 0.2, yet
over 90% of neighbours co-deleted). So each subtype also gets its k-nearest-neighbour purity in the
SCNA space itself and a cross-validated one-vs-rest AUC of a logistic regression on the SCNA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, silhouette_samples
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import NearestNeighbors


def _reducer(n_patients: int, seed: int, n_neighbors: int, min_dist: float):
    """A seeded two-dimensional UMAP (n_jobs=1: a seeded UMAP runs on one thread anyway, and says so)."""
    import umap  # imported here: numba compiles it on first use (10-15 s)

    return umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, n_patients - 1), min_dist=min_dist,
                     random_state=seed, n_jobs=1)  # fmt: skip


def umap_embedding(features: pd.DataFrame, seed: int = 0, n_neighbors: int = 15, min_dist: float = 0.1) -> pd.DataFrame:
    """Two-dimensional UMAP of patients x features; seeded, so the same inputs give the same map."""
    coordinates = _reducer(len(features), seed, n_neighbors, min_dist).fit_transform(features.to_numpy(dtype=float))
    return pd.DataFrame(coordinates, index=features.index, columns=["UMAP1", "UMAP2"])


def silhouettes(coordinates: pd.DataFrame, subtype: pd.Series) -> pd.DataFrame:
    """Mean silhouette per subtype (and overall) of the 2-D embedding; patients without subtype dropped."""
    labelled = subtype.reindex(coordinates.index).dropna()
    values = silhouette_samples(coordinates.loc[labelled.index].to_numpy(), labelled.to_numpy())
    per = pd.Series(values, index=labelled.index).groupby(labelled).agg(["mean", "count"])
    per.loc["overall"] = [float(np.mean(values)), len(values)]
    return per.rename(columns={"mean": "silhouette", "count": "patients"})


def knn_purity(features: pd.DataFrame, subtype: pd.Series, k: int = 15) -> pd.Series:
    """Per patient with a subtype: the fraction of its ``k`` nearest other patients (Euclidean, in
    ``features``) that share its subtype."""
    labelled = subtype.reindex(features.index).dropna()
    values = features.loc[labelled.index].to_numpy(dtype=float)
    k = min(k, len(values) - 1)
    _, neighbours = NearestNeighbors(n_neighbors=k + 1).fit(values).kneighbors(values)
    labels = labelled.to_numpy()
    own = neighbours[:, 0] == np.arange(len(values))  # each point is its own nearest, unless tied
    others = np.where(own[:, None], neighbours[:, 1:], neighbours[:, :k])
    return pd.Series((labels[others] == labels[:, None]).mean(axis=1), index=labelled.index, name="knn_purity")


def cv_auc_one_vs_rest(features: pd.DataFrame, subtype: pd.Series, folds: int = 5, seed: int = 0) -> pd.Series:
    """Per subtype: AUC of out-of-fold probabilities of a logistic regression (one vs rest) on ``features``."""
    labelled = subtype.reindex(features.index).dropna()
    x = features.loc[labelled.index].to_numpy(dtype=float)
    out = {}
    for name in sorted(labelled.unique()):
        y = (labelled == name).to_numpy().astype(int)
        n_folds = min(folds, int(y.sum()), int(len(y) - y.sum()))
        if n_folds < 2:
            out[name] = np.nan
            continue
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
        scores = cross_val_predict(LogisticRegression(max_iter=2000), x, y, cv=splitter, method="predict_proba")[:, 1]
        out[name] = roc_auc_score(y, scores)
    return pd.Series(out, name="cv_auc")


def subtype_separation(features: pd.DataFrame, coordinates: pd.DataFrame, subtype: pd.Series, k: int = 15,
                       seed: int = 0) -> pd.DataFrame:
    """Per subtype (and overall): 2-D silhouette, k-NN purity in the SCNA space, CV one-vs-rest AUC."""
    table = silhouettes(coordinates, subtype)
    purity = knn_purity(features, subtype, k)
    labels = subtype.reindex(purity.index)
    table["knn_purity"] = purity.groupby(labels).mean()
    table.loc["overall", "knn_purity"] = float(purity.mean())
    table["cv_auc_one_vs_rest"] = cv_auc_one_vs_rest(features, subtype, seed=seed)
    return table


def umap_projection(reference: pd.DataFrame, others: dict[str, pd.DataFrame], seed: int = 0,
                    n_neighbors: int = 15, min_dist: float = 0.1) -> pd.DataFrame:
    """UMAP fitted on ``reference`` alone, with each other cohort projected into it (umap-learn's
    ``transform``: the map is not refitted, so the other cohorts cannot move it). Columns UMAP1,
    UMAP2 and ``cohort`` (``reference`` for the fitting patients, else the key in ``others``)."""
    reducer = _reducer(len(reference), seed, n_neighbors, min_dist).fit(reference.to_numpy(dtype=float))
    parts = [pd.DataFrame(reducer.embedding_, index=reference.index, columns=["UMAP1", "UMAP2"]).assign(
        cohort="reference")]
    for name, features in others.items():
        coordinates = reducer.transform(features[reference.columns].to_numpy(dtype=float))
        parts.append(pd.DataFrame(coordinates, index=features.index, columns=["UMAP1", "UMAP2"]).assign(cohort=name))
    return pd.concat(parts)
