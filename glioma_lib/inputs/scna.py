"""SCNA embedding: PCA fitted only on SCNA patients outside the validation split.

The paper compresses gene-level copy number to 50 principal components. Fitting on validation
patients would leak their copy-number structure into every model, so they are excluded from the
fit and only transformed. The fitted transform is saved (as plain arrays, no pickle) with the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from glioma_lib.core.atomic import atomic_path


@dataclass
class ScnaPCA:
    features: list[str]
    mean: np.ndarray
    components: np.ndarray  # (k, n_features)
    explained_variance_ratio: np.ndarray
    fitted_patients: list[str]

    @classmethod
    def fit(cls, scna: pd.DataFrame, manifest: pd.DataFrame, n_components: int = 50) -> ScnaPCA:
        """Fit on patients with SCNA whose split is not 'validation'."""
        excluded = set(manifest.loc[manifest["split"] == "validation", "patient_id"])
        allowed = set(manifest.loc[manifest["has_scna"], "tcga_id"].dropna()) - excluded
        patients = sorted(p for p in scna.index if p in allowed)
        if len(patients) < 2:
            raise ValueError("need at least two non-validation SCNA patients to fit the PCA")
        k = min(n_components, len(patients) - 1, scna.shape[1])
        pca = PCA(n_components=k, svd_solver="full").fit(scna.loc[patients].to_numpy(float))
        return cls(list(scna.columns), pca.mean_, pca.components_, pca.explained_variance_ratio_, patients)

    @property
    def n_components(self) -> int:
        return len(self.components)

    def transform(self, scna: pd.DataFrame) -> pd.DataFrame:
        """Principal-component scores of every patient in ``scna`` (columns matched by name)."""
        values = scna.reindex(columns=self.features).fillna(0).to_numpy(float)
        scores = (values - self.mean) @ self.components.T
        return pd.DataFrame(scores, index=scna.index, columns=[f"PC{i + 1}" for i in range(self.n_components)])

    def same_as(self, other: ScnaPCA) -> bool:
        """True when both were fitted on the same features and patients with the same dimension."""
        return (self.features == other.features and self.fitted_patients == other.fitted_patients
                and self.n_components == other.n_components)

    def save(self, path: str | Path) -> Path:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, features=np.array(self.features), mean=self.mean, components=self.components,
                     explained_variance_ratio=self.explained_variance_ratio,
                     fitted_patients=np.array(self.fitted_patients))  # fmt: skip
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> ScnaPCA:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["features"].tolist(), data["mean"], data["components"],
                       data["explained_variance_ratio"], data["fitted_patients"].tolist())
