"""The SCNA UMAP and how separable subtypes are, judged in the full space as well as in 2-D."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.analyses.scna_umap import silhouettes, umap_embedding
from glioma_lib.cohort.tcga import read_arm_table, read_scna_clinical_786
from glioma_lib.core.naming import SUBTYPES


@pytest.fixture(scope="module")
def real_arms(realdata):
    arms = read_arm_table(realdata / "tcga_scna_arm/arm_level_scna_786.csv")
    clinical = read_scna_clinical_786(realdata / "tcga_scna_arm/clinical_786.csv")
    return arms, clinical


def test_real_arm_table_has_every_subtype(real_arms):
    arms, clinical = real_arms
    assert len(arms) == 786 and set(clinical.loc[arms.index, "subtype"]) == set(SUBTYPES)


@pytest.mark.slow
def test_umap_is_reproducible_and_separates_codeletion(real_arms):
    arms, clinical = real_arms
    subset = arms.iloc[::4]  # 197 patients keep the test fast
    a = umap_embedding(subset, seed=3)
    b = umap_embedding(subset, seed=3)
    pd.testing.assert_frame_equal(a, b)
    scores = silhouettes(a, clinical["subtype"])
    assert set(scores.index) == {*SUBTYPES, "overall"}
    assert scores.loc["1p/19q-codeleted", "silhouette"] > 0  # 1p/19q loss makes its own cluster
    assert np.isfinite(scores["silhouette"]).all()


def test_knn_purity_matches_a_naive_count():
    from glioma_lib.analyses.scna_umap import knn_purity

    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(30, 3)), index=[f"p{i}" for i in range(30)])
    subtype = pd.Series(rng.choice(["a", "b"], 30), index=features.index)
    fast = knn_purity(features, subtype, k=4)
    x = features.to_numpy()
    for i, patient in enumerate(features.index):
        distances = np.linalg.norm(x - x[i], axis=1)
        distances[i] = np.inf
        nearest = np.argsort(distances)[:4]
        assert fast[patient] == pytest.approx(np.mean(subtype.iloc[nearest].to_numpy() == subtype.iloc[i]))


@pytest.mark.slow  # umap JIT on the real arms: 10 s
def test_real_codeleted_group_is_pure_and_separable_whatever_its_silhouette(real_arms):
    """The issue's finding, kept as a test: on the real SCNA the co-deleted group is nearly pure among
    its neighbours and separable, which a 2-D silhouette alone understates."""
    from glioma_lib.analyses.scna_umap import subtype_separation

    arms, clinical = real_arms
    subset = arms.iloc[::2]
    coordinates = umap_embedding(subset, seed=0)
    table = subtype_separation(subset, coordinates, clinical["subtype"], seed=0)
    codeleted = table.loc["1p/19q-codeleted"]
    assert codeleted["knn_purity"] > 0.85 and codeleted["cv_auc_one_vs_rest"] > 0.95
    assert codeleted["knn_purity"] > codeleted["silhouette"]


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_a_projection_does_not_move_the_fitted_map():
    """The reference's coordinates are those of the plain embedding; projected copies of reference
    patients land beside their originals, and the projected cohort cannot change the map."""
    from glioma_lib.analyses.scna_umap import umap_projection

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 4, (3, 10))
    reference = pd.DataFrame(np.repeat(centres, 40, axis=0) + rng.normal(0, 0.3, (120, 10)))
    others = {"copy": reference.iloc[::10].set_axis([f"c{i}" for i in range(12)]),
              "far": pd.DataFrame(rng.normal(0, 4, (12, 10)))}  # fmt: skip
    coordinates = umap_projection(reference, others, seed=0)
    fitted = coordinates[coordinates["cohort"] == "reference"][["UMAP1", "UMAP2"]]
    assert np.allclose(fitted.to_numpy(), umap_embedding(reference, seed=0).to_numpy())
    alone = umap_projection(reference, {"copy": others["copy"]}, seed=0)
    assert np.allclose(alone[alone["cohort"] == "reference"][["UMAP1", "UMAP2"]].to_numpy(), fitted.to_numpy())
    copies = coordinates[coordinates["cohort"] == "copy"][["UMAP1", "UMAP2"]].to_numpy()
    originals = fitted.iloc[::10].to_numpy()
    spread = np.ptp(fitted.to_numpy(), axis=0).max()
    assert np.median(np.linalg.norm(copies - originals, axis=1)) < 0.1 * spread
